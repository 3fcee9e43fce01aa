// libtorch's convolution against the im2col form the convolutional force field uses (CompiledForceField): how often a
// backward pass of a small circular CNN gives non-finite weight gradients, and what one forward + backward costs.
//
//   dotnet build Functional.sln -c Release              (once: the script loads the CLI's build output)
//   dotnet fsi docs/scripts/conv-gradients.fsx          (about a minute; 1 libtorch thread)
//
// On AVX-512 CPUs libtorch picks oneDNN's AVX-512 kernels for conv1d; ONEDNN_MAX_CPU_ISA=AVX2 in the environment
// before the process starts makes it pick the AVX2 ones, for comparison.

#load "build-output.fsx"

open System
open TorchSharp

torch.set_num_threads 1
let pad (h: torch.Tensor) (p: int64) = torch.nn.functional.pad(h, [| p; p |], PaddingModes.Circular)
let libtorch (h: torch.Tensor) (w: torch.Tensor) (b: torch.Tensor) = torch.nn.functional.conv1d(pad h (w.shape.[2] / 2L), w, b)
let im2col (h: torch.Tensor) (w: torch.Tensor) (b: torch.Tensor) =
    torch.einsum("bixj,oij->box", (pad h (w.shape.[2] / 2L)).unfold(2L, w.shape.[2], 1L), w) + b.view(-1L, 1L)

/// Backward passes of a 2-layer CNN (8 channels, kernel 3, 32 sites, batch 24) whose weight gradients are not all finite.
let nonFinite conv passes =
    torch.manual_seed 1L |> ignore
    let mutable bad = 0
    for _ in 1 .. passes do
        use _scope = torch.NewDisposeScope()
        let w1 = torch.randn([| 8L; 1L; 3L |], requires_grad = true)
        let w2 = torch.randn([| 8L; 8L; 3L |], requires_grad = true)
        let b1 = torch.randn([| 8L |], requires_grad = true)
        let b2 = torch.randn([| 8L |], requires_grad = true)
        let x = torch.randn([| 24L; 1L; 32L |])
        let y = conv (torch.nn.functional.gelu(conv x w1 b1)) w2 b2
        y.square().mean().backward()
        if not ([ w1; w2; b1; b2 ] |> List.forall (fun p -> p.grad.isfinite().all().item<bool>())) then bad <- bad + 1
    bad

/// Milliseconds of one forward + backward of one layer at 64 states x 32 channels x 1024 sites, kernel 5 (best of 3 x 10).
let cost conv =
    let x = torch.randn([| 64L; 32L; 1024L |])
    let w = torch.randn([| 32L; 32L; 5L |], requires_grad = true)
    let b = torch.randn([| 32L |], requires_grad = true)
    [ for _ in 1 .. 3 ->
        let clock = Diagnostics.Stopwatch.StartNew()
        for _ in 1 .. 10 do
            use _scope = torch.NewDisposeScope()
            (conv x w b : torch.Tensor).square().mean().backward()
        clock.Elapsed.TotalMilliseconds / 10.0 ]
    |> List.min

let passes = 4000
for name, conv in [ "libtorch conv1d", libtorch; "im2col (the force field's)", im2col ] do
    printfn "%-28s non-finite gradients in %d of %d backward passes; %.0f ms per forward + backward at 64 x 32 x 1024"
        name (nonFinite conv passes) passes (cost conv)
