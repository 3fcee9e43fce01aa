using TorchSharp;
using static TorchSharp.torch;

namespace Onsager.Learning;

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

    /// <summary>The optimiser's state as a value (for a checkpoint): per parameter its step count and its two moment
    /// estimates in float64.</summary>
    public AdamState Export()
    {
        using var noGrad = no_grad();
        static double[] Values(Tensor t)
        {
            using var d = t.detach().to(ScalarType.Float64).contiguous();
            return d.data<double>().ToArray();
        }
        return new AdamState([.. steps], [.. firstMoment.Select(Values)], [.. secondMoment.Select(Values)]);
    }

    /// <summary>Restores a state from <see cref="Export"/> of an Adam over parameters of the same shapes (a resumed training).</summary>
    public void Import(AdamState state)
    {
        if (state.Steps.Length != parameters.Length)
            throw new ArgumentException($"The optimiser state holds {state.Steps.Length} parameters; the model has {parameters.Length}.");
        using var noGrad = no_grad();
        for (int i = 0; i < parameters.Length; i++)
        {
            if (state.First[i].Length != parameters[i].numel() || state.Second[i].Length != parameters[i].numel())
                throw new ArgumentException($"The optimiser state of parameter {i} holds {state.First[i].Length} numbers; the parameter has {parameters[i].numel()}.");
            using var first = tensor(state.First[i], parameters[i].shape, ScalarType.Float64);
            using var second = tensor(state.Second[i], parameters[i].shape, ScalarType.Float64);
            firstMoment[i].copy_(first);
            secondMoment[i].copy_(second);
            steps[i] = state.Steps[i];
        }
    }

    /// <summary>Frees the moment estimates (the parameters stay the caller's).</summary>
    public void Dispose()
    {
        foreach (var t in firstMoment.Concat(secondMoment)) t.Dispose();
    }
}

/// <summary>Adam's state as a value: per parameter the step count and the first and second moment estimates (float64).</summary>
public sealed record AdamState(long[] Steps, double[][] First, double[][] Second)
{
    /// <summary>The state as bytes (little-endian: parameter count, then per parameter its step count, length and both moments).</summary>
    public byte[] ToBytes()
    {
        using var m = new MemoryStream();
        using (var w = new BinaryWriter(m))
        {
            w.Write(Steps.Length);
            for (int i = 0; i < Steps.Length; i++)
            {
                w.Write(Steps[i]);
                w.Write(First[i].Length);
                foreach (var x in First[i]) w.Write(x);
                foreach (var x in Second[i]) w.Write(x);
            }
        }
        return m.ToArray();
    }

    /// <summary>The inverse of <see cref="ToBytes"/>; an <see cref="InvalidDataException"/> for bytes that are not such a state.</summary>
    public static AdamState FromBytes(byte[] bytes)
    {
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes));
            int n = r.ReadInt32();
            if (n < 0 || n > bytes.Length) throw new InvalidDataException($"an optimiser state of {n} parameters");
            var steps = new long[n];
            var first = new double[n][];
            var second = new double[n][];
            for (int i = 0; i < n; i++)
            {
                steps[i] = r.ReadInt64();
                int length = r.ReadInt32();
                if (length < 0 || (long)length * 16 > bytes.Length) throw new InvalidDataException($"parameter {i} of {length} numbers");
                first[i] = new double[length];
                second[i] = new double[length];
                for (int j = 0; j < length; j++) first[i][j] = r.ReadDouble();
                for (int j = 0; j < length; j++) second[i][j] = r.ReadDouble();
            }
            if (r.BaseStream.Position != bytes.Length) throw new InvalidDataException("trailing bytes");
            return new AdamState(steps, first, second);
        }
        catch (EndOfStreamException) { throw new InvalidDataException("truncated optimiser state"); }
    }
}
