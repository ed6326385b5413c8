using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeLoss.EdgeHost.Hosting;

/// <summary>
/// Opens the gallery when the host starts, before any transport accepts a connection, so that a locked, corrupt or
/// mismatched gallery file fails the start with its message instead of the first request, and logs what was loaded.
/// </summary>
internal sealed partial class GalleryWarmup(EmbeddingGallery gallery, ILogger<GalleryWarmup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var (identities, templates) = gallery.Count;
        LogOpened(gallery.Path ?? "(in memory)", gallery.Dim, gallery.Storage, identities, templates);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Gallery {Path}: dim {Dim}, {Storage}, {Identities} identities, {Templates} templates")]
    private partial void LogOpened(string path, int dim, EmbeddingStorage storage, int identities, int templates);
}
