using EdgeLoss;
using EdgeLoss.GalleryCrash;

// gallery-crash enroll PATH DIM STORAGE SEED   enrolls (and now and then removes) until killed; prints "+id" after
//                                              each Enroll returns, "-id" after each Remove returns
// gallery-crash hold PATH DIM STORAGE          opens the gallery, prints "held", keeps it open until stdin closes
// gallery-crash try PATH DIM STORAGE           tries to open it once; prints the status name, exits with its code
// gallery-crash hold-ro|try-ro PATH DIM STORAGE  the same with a read-only open
if (args.Length < 4)
{
    Console.Error.WriteLine("usage: gallery-crash enroll|hold|try|hold-ro|try-ro PATH DIM STORAGE [SEED]");
    return 64;
}
string path = args[1];
int dim = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
var storage = Enum.Parse<EmbeddingStorage>(args[3]);
try
{
    bool readOnly = args[0].EndsWith("-ro", StringComparison.Ordinal);
    switch (readOnly ? args[0][..^3] : args[0])
    {
        case "enroll" when !readOnly:
            Workload.Run(path, dim, storage, int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture), Console.Out);
            return 0;
        case "hold":
            using (EmbeddingGallery.Open(path, dim, storage, readOnly))
            {
                Console.WriteLine("held");
                Console.Out.Flush();
                Console.In.ReadToEnd();
            }
            return 0;
        case "try":
            using (EmbeddingGallery.Open(path, dim, storage, readOnly))
                Console.WriteLine(nameof(Status.Ok));
            return 0;
        default:
            Console.Error.WriteLine($"unknown mode {args[0]}");
            return 64;
    }
}
catch (Exception e)
{
    Status status = StatusMapping.From(e);
    Console.WriteLine(status);
    Console.Error.WriteLine(e.Message);
    return (int)status;
}
