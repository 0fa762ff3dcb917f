using System.Reflection;
using PublicApiGenerator;

namespace Lock.Actors.Tests.PublicApi;

/// <summary>
/// The public surface of each package, approved in a file beside this spec: a change to it fails here
/// until the approved file is updated in the same commit, so every change shows in review. To accept a
/// change, copy the <c>.received.txt</c> the failure names over the <c>.approved.txt</c>.
/// </summary>
[Trait("Category", "Unit")]
public sealed class PublicApiSpec
{
    [Fact]
    public void Lock_Actors_public_api_is_the_approved_one() =>
        Approve(typeof(DistributedLocks).Assembly);

    [Fact]
    public void Lock_Actors_Hosting_public_api_is_the_approved_one() =>
        Approve(typeof(DistributedLocksHostingExtensions).Assembly);

    private static void Approve(Assembly assembly)
    {
        var api = assembly.GeneratePublicApi(new ApiGeneratorOptions
        {
            // The attributes say nothing a reviewer needs and change with the build.
            ExcludeAttributes =
            [
                "System.Runtime.Versioning.TargetFrameworkAttribute",
                "System.Reflection.AssemblyMetadataAttribute",
                // Names a compiler-generated class whose number changes with unrelated edits.
                "System.Runtime.CompilerServices.AsyncIteratorStateMachineAttribute",
            ],
        }).ReplaceLineEndings("\n");
        // Found from the build output, not from this file's compile-time path: a CI build maps source paths.
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Lock.Actors.sln"))) root = Path.GetDirectoryName(root)!;
        var folder = Path.Combine(root, "tests", "Lock.Actors.Tests", "PublicApi");
        var name = assembly.GetName().Name!;
        var approvedPath = Path.Combine(folder, name + ".approved.txt");
        var receivedPath = Path.Combine(folder, name + ".received.txt");
        var approved = File.Exists(approvedPath) ? File.ReadAllText(approvedPath).ReplaceLineEndings("\n") : "";
        if (approved == api)
        {
            File.Delete(receivedPath);
            return;
        }
        File.WriteAllText(receivedPath, api);
        Assert.Fail($"The public API of {name} changed. Review {receivedPath} and, if the change is meant, copy it over {approvedPath}.");
    }
}
