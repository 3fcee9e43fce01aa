using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Onsager.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Onsager.Tests;

/// <summary>
/// The Scalar race (see <see cref="Scalars"/>) removed at its source: no compiled Onsager method passes a number to
/// libtorch through a temporary Scalar, and the replacements compute the same bits as the operators they replace.
/// </summary>
public sealed class ScalarLifetimeTests
{
    [Fact]
    public void NoOnsagerMethodMakesATemporaryScalar()
    {
        var torchSharp = Il.Read(typeof(torch).Assembly.Location);
        var racy = TemporaryScalarMakers(torchSharp);
        // Sanity: the analysis finds what is known to make temporaries (else an empty set would pass everything).
        Assert.Contains("TorchSharp.torch/Tensor::op_Addition(Tensor,Tensor)", racy);
        Assert.Contains("TorchSharp.torch/Tensor::op_Multiply(Double,Tensor)", racy);
        Assert.Contains("TorchSharp.torch/Tensor::square()", racy);
        Assert.Contains("TorchSharp.TensorExtensionMethods::ToDouble(Tensor)", racy);
        Assert.Contains("TorchSharp.torch/optim/Optimizer::step(Func`1)", racy);

        var offending = new List<string>();
        foreach (var assembly in new[] { typeof(Model).Assembly, typeof(DatasetReader).Assembly, typeof(Trainer).Assembly })
            foreach (var m in Il.Read(assembly.Location).Methods)
            {
                bool helper = m.Type == "Onsager.Numbers.Scalars" || m.Type.StartsWith("Onsager.Numbers.Scalars/", StringComparison.Ordinal);
                foreach (var c in m.Calls)
                {
                    // Scalars made explicitly (and disposed after the call) only in the helper; nothing that makes one
                    // implicitly anywhere, nor a number turned implicitly into a tensor.
                    bool explicitScalar = c.Callee.StartsWith("TorchSharp.ScalarExtensionMethods::To", StringComparison.Ordinal)
                                          || c.Callee.StartsWith("TorchSharp.torch/Tensor::ToScalar(", StringComparison.Ordinal);
                    bool implicitScalar = !explicitScalar && (racy.Contains(c.Callee) || c.Callee.StartsWith("TorchSharp.Scalar::op_Implicit", StringComparison.Ordinal)
                                                              || c.Callee.StartsWith("TorchSharp.torch/Tensor::op_Implicit", StringComparison.Ordinal));
                    if (implicitScalar || (explicitScalar && !helper))
                        offending.Add($"{Path.GetFileName(assembly.Location)} {m.Type}::{m.Name} at {c.Where}: {c.Callee}");
                }
            }
        Assert.True(offending.Count == 0, $"{offending.Count} calls pass a number to libtorch through a temporary Scalar (use Onsager.Numbers.Scalars):\n" +
                                          string.Join("\n", offending.Take(40)));
    }

    /// <summary>
    /// TorchSharp methods that make a Scalar (implicitly, explicitly or from a tensor) and pass it on without the caller
    /// holding it: those whose IL calls a Scalar factory, and every method that calls one of those (ldftn included, for
    /// the optimisers' step lambdas). A virtual call counts when any TorchSharp override of it does.
    /// </summary>
    private static HashSet<string> TemporaryScalarMakers(Il.Assembly torchSharp)
    {
        static bool Factory(string callee) =>
            callee.StartsWith("TorchSharp.Scalar::op_Implicit", StringComparison.Ordinal) || callee.StartsWith("TorchSharp.Scalar::.ctor", StringComparison.Ordinal)
            || callee.StartsWith("TorchSharp.ScalarExtensionMethods::To", StringComparison.Ordinal) && callee.Contains("Scalar(", StringComparison.Ordinal)
            || callee.StartsWith("TorchSharp.torch/Tensor::ToScalar", StringComparison.Ordinal);
        var methods = torchSharp.Methods.ToLookup(m => m.Key);
        var racy = torchSharp.Methods.Where(m => m.Calls.Any(c => Factory(c.Callee))).Select(m => m.Key).ToHashSet();
        for (bool grew = true; grew;)
        {
            grew = false;
            foreach (var m in torchSharp.Methods)
                if (!racy.Contains(m.Key) && m.Calls.Any(c => racy.Contains(c.Callee))) grew |= racy.Add(m.Key);
            // A virtual method is racy when an override with its name and signature is (Optimizer.step and Adam.step).
            foreach (var m in torchSharp.Methods.Where(m => m.Virtual && !racy.Contains(m.Key)))
                if (torchSharp.Methods.Any(o => o.Name == m.Name && o.Signature == m.Signature && racy.Contains(o.Key))) grew |= racy.Add(m.Key);
        }
        return racy;
    }

    [Fact]
    public void TheHelpersComputeWhatTheOperatorsDo()
    {
        var g = new Generator(5);
        foreach (var dtype in new[] { ScalarType.Float64, ScalarType.Float32 })
        {
            var a = randn([4, 7], dtype: dtype, generator: g);
            var b = randn([4, 7], dtype: dtype, generator: g);
            Same(a + b, a.Plus(b));
            Same(a + 0.3, a.Plus(0.3));
            Same(a + 2, a.Plus(2));
            Same(a - 0.3, a.Minus(0.3));
            Same(a - 2, a.Minus(2));
            Same(0.7 - a, a.SubtractedFrom(0.7));
            Same(1 - a, a.SubtractedFrom(1));
            Same(0.1 * a, a.Times(0.1));
            Same(a * 0.1, a.Times(0.1));
            Same(3 * a, a.Times(3));
            Same(a / 0.3, a.Over(0.3));
            Same(a / 3, a.Over(3));
            Same(a.square(), a.Squared());
            Same(a.pow(3), a.Power(3));
            Same(a.clamp_min(0.2), a.AtLeast(0.2));
            Same(a.clamp(0, 1), a.Between(0, 1));
            Same(nn.functional.softplus(a * 30), (a * 30).Softplus());
            Same(nn.functional.softplus(a, 2, 5), a.Softplus(2, 5));
            Same(arange(1, 9, dtype), Scalars.Range(1, 9, dtype));
            Assert.Equal(a.sum().ToDouble(), a.sum().ToNumber());
        }
        var i = arange(0, 5, ScalarType.Int64);
        Same(2 * i - 1, i.Times(2).Minus(1));   // int operands keep integer tensors integer
    }

    [Fact]
    public void AdamUpdatesTheParametersAsTorchSharpsAdamDoes()
    {
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64 })
        {
            var g = new Generator(11);
            var start = randn([3, 5], dtype: dtype, generator: g);
            var target = randn([3, 5], dtype: dtype, generator: g);
            var theirs = new TorchSharp.Modules.Parameter(start.clone());
            var ours = start.clone().requires_grad_(true);
            var reference = optim.Adam([theirs], 1e-2);
            using var adam = new Adam([ours]);
            for (int step = 0; step < 25; step++)
            {
                double rate = step < 10 ? 1e-2 : 5e-3;
                foreach (var group in reference.ParamGroups) group.LearningRate = rate;
                reference.zero_grad();
                ((theirs - target).pow(2).sum() * (1 + step % 3)).backward();
                reference.step();
                adam.ZeroGrad();
                ((ours - target).pow(2).sum() * (1 + step % 3)).backward();
                adam.Step(rate);
            }
            Same(theirs.detach(), ours.detach());
        }
    }

    private static void Same(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.dtype, actual.dtype);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(expected.eq(actual).all().item<bool>(), $"differs by up to {(expected - actual).abs().max().ToDouble()}");
    }

    /// <summary>The calls in each method body of an assembly (System.Reflection.Metadata), with source lines from its PDB.</summary>
    private static class Il
    {
        public sealed record Call(string Callee, string Where);
        public sealed record Method(string Type, string Name, string Signature, bool Virtual, ImmutableArray<Call> Calls)
        {
            public string Key => $"{Type}::{Name}{Signature}";
        }
        public sealed record Assembly(ImmutableArray<Method> Methods);


        public static Assembly Read(string path)
        {
            using var pe = new PEReader(File.OpenRead(path));
            var md = pe.GetMetadataReader();
            string pdbPath = Path.ChangeExtension(path, ".pdb");
            using var pdbProvider = File.Exists(pdbPath) ? MetadataReaderProvider.FromPortablePdbStream(File.OpenRead(pdbPath)) : null;
            var pdb = pdbProvider?.GetMetadataReader();
            var methods = ImmutableArray.CreateBuilder<Method>();
            foreach (var th in md.TypeDefinitions)
                foreach (var mh in md.GetTypeDefinition(th).GetMethods())
                {
                    var def = md.GetMethodDefinition(mh);
                    var calls = def.RelativeVirtualAddress == 0 ? [] : Calls(md, pdb, mh, pe.GetMethodBody(def.RelativeVirtualAddress).GetILBytes()!);
                    bool isVirtual = (def.Attributes & MethodAttributes.Virtual) != 0 && (def.Attributes & MethodAttributes.Final) == 0;
                    methods.Add(new Method(TypeName(md, th), md.GetString(def.Name), Signature(md, def.Signature), isVirtual, calls));
                }
            return new Assembly(methods.ToImmutable());
        }

        private static ImmutableArray<Call> Calls(MetadataReader md, MetadataReader? pdb, MethodDefinitionHandle mh, byte[] il)
        {
            var calls = ImmutableArray.CreateBuilder<Call>();
            foreach (var (start, op, operand) in IlWalk.Instructions(il))
                if (op.OperandType == OperandType.InlineMethod)
                    calls.Add(new Call(Callee(md, MetadataTokens.EntityHandle(BitConverter.ToInt32(il, operand))), Line(pdb, mh, start)));
            return calls.ToImmutable();
        }

        private static string Line(MetadataReader? pdb, MethodDefinitionHandle mh, int offset)
        {
            if (pdb is null) return $"IL_{offset:x4}";
            string at = $"IL_{offset:x4}";
            foreach (var sp in pdb.GetMethodDebugInformation(mh).GetSequencePoints())
            {
                if (sp.Offset > offset) break;
                if (!sp.IsHidden) at = $"{Path.GetFileName(pdb.GetString(pdb.GetDocument(sp.Document).Name))}:{sp.StartLine}";
            }
            return at;
        }

        private static string Callee(MetadataReader md, EntityHandle h) => h.Kind switch
        {
            HandleKind.MethodDefinition => md.GetMethodDefinition((MethodDefinitionHandle)h) is var d
                ? $"{TypeName(md, d.GetDeclaringType())}::{md.GetString(d.Name)}{Signature(md, d.Signature)}" : "",
            HandleKind.MemberReference => md.GetMemberReference((MemberReferenceHandle)h) is var r
                ? $"{ParentName(md, r.Parent)}::{md.GetString(r.Name)}{Signature(md, r.Signature)}" : "",
            HandleKind.MethodSpecification => Callee(md, md.GetMethodSpecification((MethodSpecificationHandle)h).Method),
            _ => h.Kind.ToString(),
        };

        private static string ParentName(MetadataReader md, EntityHandle parent) => parent.Kind switch
        {
            HandleKind.TypeDefinition => TypeName(md, (TypeDefinitionHandle)parent),
            HandleKind.TypeReference => TypeName(md, (TypeReferenceHandle)parent),
            HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)parent).DecodeSignature(new Names(), null),
            _ => parent.Kind.ToString(),
        };

        public static string TypeName(MetadataReader md, TypeDefinitionHandle h)
        {
            var t = md.GetTypeDefinition(h);
            if (t.GetDeclaringType() is { IsNil: false } outer) return TypeName(md, outer) + "/" + md.GetString(t.Name);
            string ns = md.GetString(t.Namespace);
            return ns.Length > 0 ? ns + "." + md.GetString(t.Name) : md.GetString(t.Name);
        }

        private static string TypeName(MetadataReader md, TypeReferenceHandle h)
        {
            var t = md.GetTypeReference(h);
            if (t.ResolutionScope.Kind == HandleKind.TypeReference) return TypeName(md, (TypeReferenceHandle)t.ResolutionScope) + "/" + md.GetString(t.Name);
            string ns = md.GetString(t.Namespace);
            return ns.Length > 0 ? ns + "." + md.GetString(t.Name) : md.GetString(t.Name);
        }

        /// <summary>Parameter types by simple name, "(Tensor,Double)": the same text for a definition and a reference to it.</summary>
        private static string Signature(MetadataReader md, BlobHandle blob)
        {
            var reader = md.GetBlobReader(blob);
            var sig = new SignatureDecoder<string, object?>(new Names(), md, null).DecodeMethodSignature(ref reader);
            return "(" + string.Join(",", sig.ParameterTypes) + ")";
        }

        private sealed class Names : ISignatureTypeProvider<string, object?>
        {
            public string GetArrayType(string element, ArrayShape shape) => element + "[,]";
            public string GetByReferenceType(string element) => element + "&";
            public string GetFunctionPointerType(MethodSignature<string> signature) => "fnptr";
            public string GetGenericInstantiation(string generic, ImmutableArray<string> arguments) => generic;
            public string GetGenericMethodParameter(object? context, int index) => "!!" + index;
            public string GetGenericTypeParameter(object? context, int index) => "!" + index;
            public string GetModifiedType(string modifier, string unmodified, bool isRequired) => unmodified;
            public string GetPinnedType(string element) => element;
            public string GetPointerType(string element) => element + "*";
            public string GetPrimitiveType(PrimitiveTypeCode code) => code.ToString();
            public string GetSZArrayType(string element) => element + "[]";
            public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte kind) => reader.GetString(reader.GetTypeDefinition(handle).Name);
            public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte kind) => reader.GetString(reader.GetTypeReference(handle).Name);
            public string GetTypeFromSpecification(MetadataReader reader, object? context, TypeSpecificationHandle handle, byte kind) => "spec";
        }
    }
}
