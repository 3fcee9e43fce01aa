// Generate a small Allen-Cahn dataset, train the reference-class member on it for about a minute, and print the
// error table (reference protocol and all windows) beside the published numbers.
//
//   dotnet build Functional.sln -c Release              (once: the script loads the CLI's build output)
//   dotnet fsi docs/scripts/train-a-minute.fsx          (about 2 minutes: 1 minute of training, then evaluation)
//   dotnet fsi docs/scripts/train-a-minute.fsx -- 30    (another budget in seconds)
//
// Everything here is the library's public API from F#: Recipes and DatasetWriter (Onsager.Data), Families and
// Trainer/TrainingOptions (training), Evaluator (float64 rollouts), PublishedResults.

#load "build-output.fsx"   // the library from the last build of src/Onsager.Cli (written by that build)

open System
open System.IO
open Onsager
open Onsager.Time
open Onsager.Learning
open Onsager.Data

TorchSharp.torch.set_num_threads 1
let args = fsi.CommandLineArgs |> Array.skip 1
let budget = if args.Length > 0 then float args[0] else 60.0

// 1. data: 40 trajectories of the reference's Allen-Cahn recipe (N = 256, 101 frames, dt = 1e-3)
let dir = Path.Combine(Path.GetTempPath(), "onsager-train-a-minute")
Directory.CreateDirectory dir |> ignore
let data = Path.Combine(dir, "ac.h5")
if not (File.Exists data) then
    let written = DatasetWriter.Generate(Recipes.Get "ac", 40L, 0L, data)
    printfn "wrote %s (%d trajectories)" written.Path written.Samples

// 2. training: the spectral family with a 32x2 network, the dg stepper in the loss, the reproduce recipe
let reader = DatasetReader.Open data
let initial = Families.Spectral(reader.Dataset.Grid, 0, SpectralOptions(Width = 32, Depth = 2))
let options =
    TrainingOptions(Scheme = Stepper.DiscreteGradient(), Horizon = 3, WindowLength = 4, BatchSize = 64, LearningRate = 1e-2,
                    StepsPerEpoch = 25, Patience = 8, Budget = Nullable(TimeSpan.FromSeconds budget))
let progress =
    { new IProgress<TrainingProgress> with
        member _.Report p = printfn "epoch %3d  step %5d  validation %.3e  lr %.1e  %.0f s" p.Epoch p.Step p.ValidationLoss p.LearningRate p.Elapsed.TotalSeconds }
let result = Trainer(initial, options).Train(reader, progress)
printfn "trained %d steps in %.0f s; best validation loss %.3e" result.Steps result.Elapsed.TotalSeconds result.BestValidationLoss
printfn "%s" (result.Model.Describe())

// 3. evaluation in float64 with the discrete gradient
let evaluation = Evaluator.Evaluate(result.Model, reader, EvaluationOptions(), "spectral")
let row label (steps: seq<float>) = printfn "%-28s %s" label (steps |> Seq.map (sprintf "%10.2e") |> String.concat "")
printfn "\nrelative RMSE, steps 1..5 (%d test trajectories)" evaluation.TestTrajectories
row "ours (reference protocol)" (evaluation.Steps |> Seq.map (fun e -> e.Mean))
row "ours (all windows)" (evaluation.AllWindows |> Seq.map (fun e -> e.Mean))
for r in PublishedResults.For "ac" do row ("published " + r.Model) r.Steps
reader.Dispose()
