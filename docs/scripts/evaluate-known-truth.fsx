// Evaluate the true equation of a dataset (a known-truth member, nothing learned) on the dataset's own grid, as
// `onsager train --kind classical` then `onsager evaluate` do, for data whose file carries no known_member note
// (ac2d data generated before 2026-11-27 16:00: its recipe named no member; Allen-Cahn is the same on any grid).
//
//   dotnet build Functional.sln -c Release                 (once: the script loads the CLI's build output)
//   dotnet fsi docs/scripts/evaluate-known-truth.fsx -- DATA MEMBER SCHEME [STRIDE]
//   dotnet fsi docs/scripts/evaluate-known-truth.fsx -- runs/ac2d/data allen-cahn sbdf1 25
//
// Prints the table in the reference's format (published numbers beside ours) and writes DATA-MEMBER-SCHEME.json
// next to the data.

#load "build-output.fsx"   // the library from the last build of src/Onsager.Cli (written by that build)

open Onsager
open Onsager.Learning
open Onsager.Data

TorchSharp.torch.set_num_threads 1
let args = fsi.CommandLineArgs |> Array.skip 1
if args.Length < 3 then failwith "usage: evaluate-known-truth.fsx DATA MEMBER SCHEME [STRIDE]"
let data, name, scheme = args.[0], args.[1], args.[2]
let stride = if args.Length > 3 then int args.[3] else 5

let result =
    use reader = DatasetReader.Open(data, checkValues = true)
    // The same member `--kind classical` builds (spectral derivatives), on the data's grid.
    let truth = Families.Classical(name, reader.Dataset.Grid)
    Evaluator.Evaluate(truth, reader, EvaluationOptions(Scheme = Onsager.Cli.Schemes.Parse scheme, WindowStride = stride), sprintf "classical (%s)" name)

EvaluationTable.Write(result, stdout)
let out = sprintf "%s-%s-%s.json" (System.IO.Path.TrimEndingDirectorySeparator data) name scheme
System.IO.File.WriteAllText(out, result.ToJson().ToJsonString())
printfn "wrote %s" out
