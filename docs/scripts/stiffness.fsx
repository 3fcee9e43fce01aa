// The stiffness of a member at a dataset's frame spacing: the spectral radius rho of f's Jacobian at the data's frames
// (power iteration, as rk4-substeps and rk4-adaptive estimate it inside the loss; for rk4-adaptive that of what remains
// after the frozen linearisation) and the RK4 substeps they choose, for the initial
// local member, a trained model (optional) and the true member of the data.
//
//   dotnet build src/Onsager.Cli -c Release                 (once: the script loads the CLI's build output)
//   dotnet fsi docs/scripts/stiffness.fsx -- DATA TRUE_MEMBER [MODEL_DIR]
//   dotnet fsi docs/scripts/stiffness.fsx -- /tmp/stiff/burgers.h5 burgers

#load "build-output.fsx"   // the library from the last build of src/Onsager.Cli (written by that build)

open Onsager
open Onsager.Algebra
open Onsager.Compilation
open Onsager.Time
open Onsager.Learning
open Onsager.Data
open TorchSharp

let args = fsi.CommandLineArgs |> Array.skip 1
let reader = DatasetReader.Open(args[0])
let d = reader.Dataset
let grid = d.Grid
let n = grid.Points[0]
let frames = [| 0; d.Frames / 2; d.Frames - 1 |]
let states dtype =
    let xs = frames |> Array.collect (fun f -> reader.ReadFrames(0L, f, 1) |> Array.map float)
    torch.tensor(xs, dtype = torch.ScalarType.Float64).reshape(int64 frames.Length, 1L, int64 n).to_type(dtype)

let report name (field: IVectorField) dtype =
    use m = VectorField.Compile(field, CompileOptions.Training(dtype))
    let u = states dtype
    let f = System.Func<torch.Tensor, torch.Tensor>(fun x -> m.Rhs(x))
    let plan (o: AdaptiveOptions) =
        let big = AdaptiveOptions(o.IntegratingFactor, System.Int32.MaxValue - 1, o.Safety, o.StabilityRadius, o.PowerIterations)
        let p = AdaptiveRungeKutta.Choose(f, u, d.Dt, big)
        sprintf "rho %9.4g (dt rho %8.4g) substeps %4d" p.Rho (d.Dt * p.Rho) p.Substeps
    printfn "%-30s %-8O rk4-substeps: %s | rk4-adaptive: %s" name dtype (plan AdaptiveOptions.Plain) (plan AdaptiveOptions.Default)

let h = grid.Lengths[0] / float n
printfn "%s: N = %d, h = %.4g, dt = %g, frames %A" d.Name n h d.Dt frames
for dtype in [ torch.ScalarType.Float32; torch.ScalarType.Float64 ] do
    report "local (initial, seed 0)" (Families.Local(grid, 0)) dtype
    report ("true " + args[1]) (KnownMembers.Get(args[1], grid)) dtype
    if args.Length > 2 then report ("trained " + args[2]) (ModelDirectory.Load(args[2]).Field) dtype
