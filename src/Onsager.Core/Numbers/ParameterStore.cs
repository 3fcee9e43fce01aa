using System.Collections.Immutable;
using TorchSharp;
using static TorchSharp.torch;

namespace Onsager.Numbers;

/// <summary>Sign constraint of a learned number: kept by a smooth reparametrisation, never by clipping.</summary>
public enum Constraint
{
    /// <summary>Any real value.</summary>
    Free,
    /// <summary>A positive value.</summary>
    Positive,
}

/// <summary>A compiled number: its current value as a tensor (recomputed from the raw parameter) and a way back to a value.</summary>
internal sealed record ScalarHandle(Func<Tensor> Get, Func<Param> Snapshot);

/// <summary>A compiled array of numbers.</summary>
internal sealed record ArrayHandle(Func<Tensor> Get, Func<ParamArray> Snapshot);

/// <summary>
/// Makes the tensors of a member's numbers while it is compiled: fixed numbers become constants, learned numbers
/// become parameters (positive ones through softplus, so that training cannot leave the class).
/// </summary>
internal sealed class ParameterStore(ScalarType dtype, Device device)
{
    private readonly List<(string Name, TorchSharp.Modules.Parameter Parameter)> parameters = [];

    public ScalarType DType { get; } = dtype;
    public Device Device { get; } = device;
    public IReadOnlyList<(string Name, TorchSharp.Modules.Parameter Parameter)> Parameters => parameters;

    public Tensor Constant(double v) => tensor(v, DType, Device);
    public Tensor Constant(double[] v) => tensor(v, DType, Device);

    /// <summary>softplus^-1, stable for large arguments.</summary>
    internal static double InverseSoftplus(double v) => v > 30 ? v : v + Math.Log(-Expm1(-Math.Max(v, 1e-300)));

    internal static double Softplus(double r) => r > 30 ? r : Log1p(Math.Exp(r));

    private static double Expm1(double x) => Math.Abs(x) < 1e-5 ? x + x * x / 2 + x * x * x / 6 : Math.Exp(x) - 1;

    private static double Log1p(double x) => Math.Abs(x) < 1e-5 ? x - x * x / 2 + x * x * x / 3 : Math.Log(1 + x);

    public ScalarHandle Scalar(Param p, Constraint c, string name)
    {
        if (p is Param.Fixed)
        {
            var t = Constant(p.Value);
            return new ScalarHandle(() => t, () => p);
        }
        double raw = c == Constraint.Positive ? InverseSoftplus(p.Value) : p.Value;
        var param = new TorchSharp.Modules.Parameter(tensor(raw, DType, Device), requires_grad: true);
        parameters.Add((Unique(name), param));
        Func<Tensor> get = c == Constraint.Positive ? () => param.Softplus() : () => param;
        return new ScalarHandle(get, () => p.With(Read(param, c)[0]));
    }

    public ArrayHandle Array(ParamArray p, Constraint c, string name)
    {
        if (!p.Learned)
        {
            var t = Constant(p.Values.ToArray());
            return new ArrayHandle(() => t, () => p);
        }
        var raw = p.Values.Select(v => c == Constraint.Positive ? InverseSoftplus(v) : v).ToArray();
        var param = new TorchSharp.Modules.Parameter(tensor(raw, DType, Device), requires_grad: true);
        parameters.Add((Unique(name), param));
        Func<Tensor> get = c == Constraint.Positive ? () => param.Softplus() : () => param;
        return new ArrayHandle(get, () => p.With(Read(param, c)));
    }

    private static double[] Read(Tensor param, Constraint c)
    {
        using var cpu = param.detach().to(ScalarType.Float64, CPU);
        var raw = cpu.data<double>().ToArray();
        return c == Constraint.Positive ? raw.Select(Softplus).ToArray() : raw;
    }

    private string Unique(string name)
    {
        string n = name.Replace('.', '_');
        int k = 0;
        while (parameters.Any(x => x.Name == (k == 0 ? n : $"{n}_{k}"))) k++;
        return k == 0 ? n : $"{n}_{k}";
    }
}
