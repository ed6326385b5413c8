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
        // A torn tail is the end of a write that a crash cut short and that was never acknowledged. A writable open
        // has cut it; a read-only one serves the records before it and leaves it for the next writable open.
        if (gallery.RepairedTailBytes > 0)
            LogRepaired(gallery.Path!, gallery.RepairedTailBytes);
        if (gallery.IgnoredTailBytes > 0)
            LogIgnored(gallery.Path!, gallery.IgnoredTailBytes);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Gallery {Path}: dim {Dim}, {Storage}, {Identities} identities, {Templates} templates")]
    private partial void LogOpened(string path, int dim, EmbeddingStorage storage, int identities, int templates);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gallery {Path}: cut a torn tail of {Bytes} bytes left by a crash (a write that was never acknowledged)")]
    private partial void LogRepaired(string path, long bytes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gallery {Path}: ignoring a torn tail of {Bytes} bytes left by a crash; read-only, so it stays in the file until a writable open cuts it")]
    private partial void LogIgnored(string path, long bytes);
}
