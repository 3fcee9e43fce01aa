using Xunit;

// One test at a time. TorchSharp turns a double operand into a temporary Scalar whose finalizer frees its native
// memory, and nothing keeps the Scalar alive through the native call; a garbage collection that another test thread
// triggers during the call can free it mid-operation ("Unknown scalar type" from libtorch: AlgebraTests once, under
// load, 2026-11-27). With one thread allocating, no collection can happen inside a call.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
