using System.Diagnostics;

namespace Lock.Actors.Tests.Infrastructure.Topology;

/// <summary>
/// A private CA made with openssl for one test run: a server certificate for 127.0.0.1/localhost and
/// a client certificate, both signed by it, and a second, unrelated CA that vouches for neither.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private TestCertificates(string directory) => Directory = directory;

    public string Directory { get; }
    public string CaCertificate => Path.Combine(Directory, "ca.crt");
    public string OtherCaCertificate => Path.Combine(Directory, "other-ca.crt");
    public string ServerCertificate => Path.Combine(Directory, "server.crt");
    public string ServerKey => Path.Combine(Directory, "server.key");
    public string ClientCertificate => Path.Combine(Directory, "client.crt");
    public string ClientKey => Path.Combine(Directory, "client.key");

    public static async Task<TestCertificates> CreateAsync()
    {
        var certificates = new TestCertificates(System.IO.Directory.CreateTempSubdirectory("lock-tls-").FullName);
        await certificates.MakeCaAsync("ca", "Lock.Actors test CA");
        await certificates.MakeCaAsync("other-ca", "Some other CA");
        await File.WriteAllTextAsync(Path.Combine(certificates.Directory, "server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        await File.WriteAllTextAsync(Path.Combine(certificates.Directory, "client.ext"), "extendedKeyUsage=clientAuth\n");
        await certificates.MakeSignedAsync("server", "localhost");
        await certificates.MakeSignedAsync("client", "lock-node");
        return certificates;
    }

    private Task MakeCaAsync(string name, string subject) =>
        OpenSslAsync("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", $"{name}.key", "-out", $"{name}.crt", "-subj", $"/CN={subject}");

    private async Task MakeSignedAsync(string name, string subject)
    {
        await OpenSslAsync("req", "-newkey", "rsa:2048", "-nodes", "-keyout", $"{name}.key", "-out", $"{name}.csr", "-subj", $"/CN={subject}");
        await OpenSslAsync("x509", "-req", "-in", $"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "1", "-out", $"{name}.crt", "-extfile", $"{name}.ext");
    }

    private async Task OpenSslAsync(params string[] arguments)
    {
        var info = new ProcessStartInfo("openssl")
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("openssl did not start.");
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"openssl {string.Join(' ', arguments)}: {await error}");
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
