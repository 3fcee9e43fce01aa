using static TorchSharp.torch;

namespace Onsager.Time;

public abstract partial record Stepper
{
    /// <summary>Explicit Euler (the reference's step; no discrete energy guarantee).</summary>
    public sealed record Euler : Explicit
    {
        /// <inheritdoc />
        public override string Name => "euler";

        /// <inheritdoc />
        public override Tensor Advance(Func<Tensor, Tensor> f, Tensor u, double dt) => u.Plus(f(u).Times(dt));
    }
}
