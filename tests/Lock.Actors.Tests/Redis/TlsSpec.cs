using Akka.Actor;
using Lock.Actors.Tests.Infrastructure;
using Lock.Actors.Tests.Infrastructure.Topology;
using static Lock.Actors.LockProtocol;

namespace Lock.Actors.Tests.Redis;

/// <summary>
/// A TLS-only redis-server with a private CA that requires client certificates: the lock.redis.tls
/// settings alone are enough, and a server certificate the configured CA does not vouch for is named.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class TlsSpec : IAsyncLifetime
{
    private TestCertificates _certificates = null!;
    private TopologyNode _server = null!;

    public async Task InitializeAsync()
    {
        _certificates = await TestCertificates.CreateAsync();
        var port = TopologyNode.FreePort();
        _server = await TopologyNode.StartAsync(port,
        [
            "--port", "0", "--tls-port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--tls-cert-file", _certificates.ServerCertificate, "--tls-key-file", _certificates.ServerKey,
            "--tls-ca-cert-file", _certificates.CaCertificate, "--tls-auth-clients", "yes",
        ], AnswersOverTlsAsync);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _certificates.Dispose();
    }

    private async Task<bool> AnswersOverTlsAsync(int port)
    {
        try
        {
            return await RedisCli.RunAsync("--tls", "--cacert", _certificates.CaCertificate, "--cert", _certificates.ClientCertificate,
                "--key", _certificates.ClientKey, "-p", port.ToString(), "PING") == "PONG";
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    // A lock node trusting caCertificate and presenting the client certificate, terminated after.
    private async Task WithNodeAsync(string name, string caCertificate, Func<DistributedLocks, Task> test)
    {
        var system = ActorSystem.Create(name, LockSpec.NodeConfig(
            $"127.0.0.1:{_server.Port},connectTimeout=1000", LockSpec.NewPrefix(), $$"""
                lock.redis.tls {
                  ca-certificate = "{{caCertificate}}"
                  client-certificate = "{{_certificates.ClientCertificate}}"
                  client-key = "{{_certificates.ClientKey}}"
                }
                """));
        try
        {
            await test(DistributedLocks.Get(system));
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public Task A_private_CA_and_a_client_certificate_from_settings_are_enough_for_mutual_TLS() =>
        WithNodeAsync("tls", _certificates.CaCertificate, async locks =>
        {
            var acquired = Assert.IsType<LockAcquired>(await locks.Manager.Ask<object>(
                new Acquire("over-tls", Timeout: TimeSpan.FromSeconds(5)), TimeSpan.FromSeconds(10)));
            Assert.IsType<LockReleased>(await locks.Manager.Ask<object>(new Release("over-tls", acquired.Token), TimeSpan.FromSeconds(5)));
            Assert.Null(locks.ConfigurationProblem);
        });

    [Fact]
    public Task A_server_certificate_the_configured_CA_does_not_vouch_for_is_named_in_acquires() =>
        WithNodeAsync("tls-wrong-ca", _certificates.OtherCaCertificate, async locks =>
        {
            var failed = Assert.IsType<LockNotAcquired>(await locks.Manager.Ask<object>(
                new Acquire("over-tls", Timeout: TimeSpan.FromSeconds(4)), TimeSpan.FromSeconds(10)));
            Assert.Equal(AcquireFailure.Unavailable, failed.Reason);
            Assert.Contains("TLS", failed.Message);
            Assert.Contains("lock.redis.tls.ca-certificate", failed.Message);
            Assert.Contains("TLS", locks.ConfigurationProblem);
        });
}
