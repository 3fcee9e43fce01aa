// One step of the data's dt with rk4-adaptive (integrating factor) and rk4-substeps (plain RK4 substeps) from data
// frames, against 2000 RK4 steps of dt/2000 (the true member, float64): the scheme error the loss would carry.
//
//   dotnet build src/Onsager.Cli -c Release                 (once: the script loads the CLI's build output)
//   dotnet fsi docs/scripts/adaptive-accuracy.fsx -- DATA TRUE_MEMBER

#load "build-output.fsx"   // the library from the last build of src/Onsager.Cli (written by that build)

open Onsager
open Onsager.Algebra
open Onsager.Compilation
open Onsager.Time
open Onsager.Data
open TorchSharp

let args = fsi.CommandLineArgs |> Array.skip 1
let reader = DatasetReader.Open(args[0])
let d = reader.Dataset
let n = d.Grid.Points[0]
let frames = [| 0; d.Frames / 2 |]
let xs = frames |> Array.collect (fun f -> reader.ReadFrames(0L, f, 1) |> Array.map float)
let u = torch.tensor(xs, dtype = torch.ScalarType.Float64).reshape(int64 frames.Length, 1L, int64 n)
use m = Dynamics.Compile(KnownMembers.Get(args[1], d.Grid))
let mutable r = u
let fine = 2000
for _ in 1 .. fine do r <- Steppers.Step(m, Stepper.Rk4(), r, d.Dt / float fine).State
let scale = r.abs().max().item<float>()
for s in [ Stepper.Rk4Adaptive(AdaptiveOptions.Default) :> Stepper; Stepper.Rk4Adaptive(AdaptiveOptions.Plain) ] do
    let o = (s :?> Stepper.Rk4Adaptive).Options
    let plan = AdaptiveRungeKutta.Choose(System.Func<_, _>(fun x -> m.Rhs(x)), u, d.Dt, o)
    let v = Steppers.Step(m, s, u, d.Dt).State
    let err = (v - r).abs().max().item<float>() / scale
    printfn "%s dt %g: %-13s substeps %4d  max error / max |u| %.3g" d.Name d.Dt s.Name plan.Substeps err
