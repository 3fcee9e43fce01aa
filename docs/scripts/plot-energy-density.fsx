// Load a model (a known-truth member builtin:NAME, or a saved model directory) and save a plot of its pointwise
// energy density F'(u), gauge-fixed (F(0) = 0; F'(0) = 0 where the mass is conserved).
//
//   dotnet build Functional.sln -c Release                                   (once: the script loads the CLI's build output)
//   dotnet fsi docs/scripts/plot-energy-density.fsx                          (builtin:allen-cahn, writes energy-density.png)
//   dotnet fsi docs/scripts/plot-energy-density.fsx -- builtin:heat out.png  (any builtin:NAME or model directory)
//
// F'(s) is the variational derivative at the uniform state s (gradient terms vanish there), so it works for every
// member, learned networks included. ScottPlot draws with SkiaSharp, whose native library sits next to the DLLs.

#load "build-output.fsx"   // the library from the last build of src/Onsager.Cli (written by that build)

open Onsager
open Onsager.Compilation
open Onsager.Analysis

TorchSharp.torch.set_num_threads 1
let args = fsi.CommandLineArgs |> Array.skip 1
let reference = if args.Length > 0 then args[0] else "builtin:allen-cahn"
let output = if args.Length > 1 then args[1] else "energy-density.png"

// The same resolution as `onsager ... --model`: builtin:NAME or a saved model directory.
let model = Onsager.Cli.ModelReference.Resolve reference
printfn "model: %s" (model.Describe())

let compiled = Dynamics.Compile model
let density = Diagnose.Density(compiled, -1.5, 1.5, 201)

let plot = ScottPlot.Plot()
let line = plot.Add.Scatter(Seq.toArray density.U, Seq.toArray density.DF)
line.MarkerSize <- 0.0f
line.LineWidth <- 2.0f
line.LegendText <- reference
plot.Title(sprintf "F'(u) of %s" reference)
plot.XLabel "u"
plot.YLabel "F'(u) = dE at the uniform state u"
plot.ShowLegend(ScottPlot.Edge.Right) |> ignore
plot.SavePng(output, 900, 500) |> ignore
printfn "wrote %s (F' on [-1.5, 1.5], %d points; F'(-1.5) = %.6g, F'(1.5) = %.6g)" output density.U.Length density.DF[0] density.DF[density.DF.Length - 1]
