using TorchSharp;
using static TorchSharp.torch;

namespace Onsager;

/// <summary>
/// Adam (Kingma and Ba 2015) with TorchSharp's update, operation for operation (torch.optim.Adam's defaults: betas 0.9 and
/// 0.999, eps 1e-8, no weight decay, no amsgrad), so the parameters it produces are the same bits. TorchSharp's own
/// Adam.step is C# that passes eight temporary Scalars per parameter to libtorch (the race described on
/// <see cref="Scalars"/>), and it cannot be given Scalars from outside; this one takes its numbers through
/// <see cref="Scalars"/>. Its state (the two moment estimates and the step count) is the only mutation, in place as
/// TorchSharp's is; <see cref="Dispose"/> frees it.
/// </summary>
public sealed class Adam : IDisposable
{
    private const double Beta1 = 0.9, Beta2 = 0.999, Eps = 1e-8;
    private readonly Tensor[] parameters;
    private readonly Tensor[] firstMoment, secondMoment;
    private readonly long[] steps;

    /// <summary>Adam over these parameters (leaf tensors that require grad), its moments zero.</summary>
    public Adam(IEnumerable<Tensor> parameters)
    {
        this.parameters = parameters.ToArray();
        firstMoment = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        secondMoment = this.parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        steps = new long[this.parameters.Length];
    }

    /// <summary>Zeroes every parameter's gradient, as TorchSharp's zero_grad does.</summary>
    public void ZeroGrad()
    {
        foreach (var p in parameters) p.grad?.zero_();
    }

    /// <summary>One update of every parameter that has a gradient, at the given learning rate.</summary>
    public void Step(double learningRate)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        for (int i = 0; i < parameters.Length; i++)
        {
            var grad = parameters[i].grad;
            if (grad is null) continue;
            long step = ++steps[i];
            double biasCorrection1 = 1 - Math.Pow(Beta1, step);
            double biasCorrection2 = 1 - Math.Pow(Beta2, step);
            Scalars.With(Beta1, b => Scalars.With(1 - Beta1, a => firstMoment[i].mul_(b).add_(grad, a)));
            Scalars.With(Beta2, b => Scalars.With(1 - Beta2, a => secondMoment[i].mul_(b).addcmul_(grad, grad.conj(), a)));
            var denominator = Scalars.With(Eps, e => secondMoment[i].sqrt().Over(Math.Sqrt(biasCorrection2)).add_(e, Scalars.One));
            Scalars.With(-(learningRate / biasCorrection1), v => parameters[i].addcdiv_(firstMoment[i], denominator, v));
        }
    }

    /// <summary>Frees the moment estimates (the parameters stay the caller's).</summary>
    public void Dispose()
    {
        foreach (var t in firstMoment.Concat(secondMoment)) t.Dispose();
    }
}
