namespace EdgeLoss.Generators.Model
{
    /// <summary>Everything the emitter needs for <c>[SoftmaxHead(N)]</c>.</summary>
    internal sealed record SoftmaxHeadModel(HeadTarget Target, int Classes);

    /// <summary>
    /// Everything the emitter needs for <c>[MarginHead(kind, C, D, ...)]</c>, with the kind's defaults applied: the
    /// parameters that do not apply to <see cref="Kind"/> hold their neutral values.
    /// </summary>
    internal sealed record MarginHeadModel(
        HeadTarget Target,
        MarginKind Kind,
        int Classes,
        int Dim,
        int M,
        float Scale,
        float Margin,
        float M1,
        float M2,
        float M3,
        bool EasyMargin);

    /// <summary>
    /// What the first pipeline step produces for one attributed class: the model (null when an error forbids
    /// emission) and the diagnostics to report. Equatable, so that an unrelated edit leaves it Cached.
    /// </summary>
    internal sealed record HeadResult<TModel>(TModel? Model, ImmutableEquatableArray<DiagnosticInfo> Diagnostics)
        where TModel : class;
}
