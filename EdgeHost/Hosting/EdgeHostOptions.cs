namespace EdgeLoss.EdgeHost.Hosting;

/// <summary>How the gallery stores each template (the C ABI's <c>EL_STORE_F32</c> / <c>EL_STORE_I8</c>).</summary>
public enum GalleryStorage
{
    /// <summary>float32, dim x 4 bytes a template (<c>f32</c>).</summary>
    F32 = 0,

    /// <summary>int8, a unit vector scaled to [-127, 127], dim bytes a template (<c>i8</c>).</summary>
    I8 = 1,
}

/// <summary>
/// The settings of <c>edgehost serve</c>, bound from configuration section <see cref="Section"/>:
/// appsettings.json beside the binary, then environment variables (<c>EdgeLoss__Dim=512</c>), then the command line
/// (<c>--dim 512</c>), each overriding the one before. <see cref="EdgeHostSettings"/> binds and validates them.
/// </summary>
public sealed class EdgeHostOptions
{
    /// <summary>The configuration section: <c>EdgeLoss</c>.</summary>
    public const string Section = "EdgeLoss";

    /// <summary>The default <see cref="Baud"/>: 115200, what most UARTs of small boards run at.</summary>
    public const int DefaultBaud = 115200;

    /// <summary>The default <see cref="Threshold"/>: 0.363, the cosine threshold OpenCV publishes for SFace.</summary>
    public const float DefaultThreshold = 0.363f;

    /// <summary>The default <see cref="MaxConnections"/> of each socket transport.</summary>
    public const int DefaultMaxConnections = 64;

    /// <summary>
    /// The largest <see cref="Dim"/> accepted: 2029, the most float32 values an ENROLL with a 63-byte id can carry in
    /// one frame of 8192 bytes (wire-protocol.md). A larger gallery could be opened but not served.
    /// </summary>
    public const int MaxDim = EdgeLoss.EdgeHost.Protocol.ProtocolSession.MaxDimension;

    /// <summary><c>--gallery FILE</c>: the gallery file (created when missing unless <see cref="ReadOnly"/>).</summary>
    public string? Gallery { get; set; }

    /// <summary><c>--dim N</c>: the embedding dimension, 1..<see cref="MaxDim"/> (2029).</summary>
    public int Dim { get; set; }

    /// <summary><c>--storage f32|i8</c>: how templates are stored.</summary>
    public GalleryStorage Storage { get; set; } = GalleryStorage.F32;

    /// <summary><c>--serial DEVICE</c>: a serial line to serve, e.g. <c>/dev/ttyAMA0</c>.</summary>
    public string? Serial { get; set; }

    /// <summary><c>--baud RATE</c>: the serial line's speed.</summary>
    public int Baud { get; set; } = DefaultBaud;

    /// <summary><c>--listen unix:PATH</c> or <c>--listen tcp://127.0.0.1:PORT</c>, any number of them.</summary>
    public List<string> Listen { get; set; } = [];

    /// <summary><c>--threshold COS</c>: VERIFY accepts a score at or above it; in [-1, 1].</summary>
    public float Threshold { get; set; } = DefaultThreshold;

    /// <summary>
    /// <c>--read-only</c>: never write the gallery file. It must exist; it is opened read-only under a shared lock
    /// (other read-only hosts may serve it too, a writer may not), and ENROLL and REMOVE are refused.
    /// </summary>
    public bool ReadOnly { get; set; }

    /// <summary>The most connections each socket transport serves at once (configuration only), 1..1024.</summary>
    public int MaxConnections { get; set; } = DefaultMaxConnections;

    /// <summary>The storage as written on the command line: <c>f32</c> or <c>i8</c>.</summary>
    public static string Format(GalleryStorage storage) => storage == GalleryStorage.I8 ? "i8" : "f32";
}
