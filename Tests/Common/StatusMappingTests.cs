namespace EdgeLoss.Tests.Common;

public class StatusMappingTests
{
    private sealed class Locked() : IOException("gallery.elg is held by another process"), IStatusException
    {
        public Status Status => Status.Locked;
    }

    [Fact]
    public void Exceptions_map_to_the_C_ABI_codes()
    {
        Assert.Equal(Status.NonFinite, StatusMapping.From(new NonFiniteInputException("x[2] = NaN is not finite", "x")));
        Assert.Equal(Status.Argument, StatusMapping.From(new ArgumentOutOfRangeException("target", "target[3] = 12 is outside [0, 10)")));
        Assert.Equal(Status.NotFound, StatusMapping.From(new KeyNotFoundException("id 'bob' is not enrolled")));
        Assert.Equal(Status.Io, StatusMapping.From(new IOException("disk full")));
        Assert.Equal(Status.Locked, StatusMapping.From(new Locked()));
        Assert.Equal(Status.Internal, StatusMapping.From(new InvalidOperationException("bug")));
        Assert.Equal(7, (int)Status.Locked);
        Assert.Equal(99, (int)Status.Internal);
    }

    [Fact]
    public void Messages_drop_the_parameter_suffix_and_keep_the_value()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Guard.Indices([0, 12], 10, name: "target"));
        Assert.Equal("target[1] = 12 is outside [0, 10)", StatusMapping.Message(e));
        Assert.Equal("internal error: InvalidOperationException: bug", StatusMapping.Message(new InvalidOperationException("bug")));
    }
}
