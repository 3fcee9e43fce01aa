using System.Globalization;
using Onsager.Benchmarks;

var inv = CultureInfo.InvariantCulture;
if (args.Length >= 3 && args[0] == "--dg-members")
{
    Diagnose.Run(int.Parse(args[1], inv), double.Parse(args[2], inv), args.Length > 3 ? int.Parse(args[3], inv) : 0);
    return 0;
}
return 0;
