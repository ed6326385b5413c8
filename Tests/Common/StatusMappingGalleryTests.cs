namespace EdgeLoss.Tests.Common;

public class StatusMappingGalleryTests
{
    [Fact]
    public void Values_are_the_C_ABI_constants()
    {
        // c-abi.md: EL_OK 0, ARGUMENT 1, NONFINITE 2, NOT_FOUND 3, IO 4, CORRUPT 5, CAPACITY 6, LOCKED 7, INTERNAL 99
        Assert.Equal([0, 1, 2, 3, 4, 5, 6, 7, 99], Enum.GetValues<Status>().Select(s => (int)s));
    }

    [Fact]
    public void Each_exception_maps_to_its_status_most_specific_first()
    {
        Assert.Equal(Status.NonFinite, StatusMapping.From(new NonFiniteInputException("x[0] = NaN", "x")));   // an ArgumentException
        Assert.Equal(Status.Argument, StatusMapping.From(new ArgumentException("bad")));
        Assert.Equal(Status.Argument, StatusMapping.From(new ArgumentNullException("x")));
        Assert.Equal(Status.Argument, StatusMapping.From(new ArgumentOutOfRangeException("k")));
        Assert.Equal(Status.NotFound, StatusMapping.From(new IdentityNotFoundException("alice")));
        Assert.Equal(Status.NotFound, StatusMapping.From(new KeyNotFoundException()));
        Assert.Equal(Status.Corrupt, StatusMapping.From(new GalleryCorruptException("/g", 40, "bad")));          // an IOException
        Assert.Equal(Status.Locked, StatusMapping.From(new GalleryLockedException("/g", new IOException())));   // an IOException
        Assert.Equal(Status.Capacity, StatusMapping.From(new GalleryCapacityException("full")));
        Assert.Equal(Status.Capacity, StatusMapping.From(new OutOfMemoryException()));
        Assert.Equal(Status.Io, StatusMapping.From(new IOException("disk")));
        Assert.Equal(Status.Io, StatusMapping.From(new DirectoryNotFoundException()));
        Assert.Equal(Status.Io, StatusMapping.From(new UnauthorizedAccessException()));
        Assert.Equal(Status.Argument, StatusMapping.From(new ObjectDisposedException("gallery")));
        Assert.Equal(Status.Internal, StatusMapping.From(new InvalidOperationException()));
        Assert.Equal(Status.Internal, StatusMapping.From(new NullReferenceException()));
        Assert.Throws<ArgumentNullException>(() => StatusMapping.From(null!));
    }

    [Fact]
    public void Gallery_exceptions_carry_what_happened()
    {
        var corrupt = new GalleryCorruptException("/data/g.gal", 1234, "record checksum mismatch");
        Assert.Equal("gallery file '/data/g.gal' is corrupt at byte 1234: record checksum mismatch", corrupt.Message);
        Assert.Equal(1234, corrupt.Offset);
        var missing = new IdentityNotFoundException("bob");
        Assert.Equal("identity \"bob\" is not in the gallery", missing.Message);
        Assert.Equal("bob", missing.Id);
    }
}
