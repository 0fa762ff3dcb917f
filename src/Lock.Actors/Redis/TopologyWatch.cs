using StackExchange.Redis;

namespace Lock.Actors.Redis;

/// <summary>
/// Wakes every waiter when the connection comes back or the topology changed (a Sentinel or Cluster
/// promotion, a reconnect after an outage): a release announced while the node was not subscribed,
/// or announced on the old primary, is never heard, and the waiters would otherwise sit out a whole
/// retry-interval. Waking them costs one attempt per waiting key.
/// </summary>
internal sealed class TopologyWatch : IDisposable
{
    private readonly IConnectionMultiplexer _connection;
    private readonly Action _onChanged;

    public TopologyWatch(IConnectionMultiplexer connection, Action onChanged)
    {
        _connection = connection;
        _onChanged = onChanged;
        connection.ConnectionRestored += OnConnectionRestored;
        connection.ConfigurationChanged += OnConfigurationChanged;
        connection.ConfigurationChangedBroadcast += OnConfigurationChanged;
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) => _onChanged();

    private void OnConfigurationChanged(object? sender, EndPointEventArgs e) => _onChanged();

    public void Dispose()
    {
        _connection.ConnectionRestored -= OnConnectionRestored;
        _connection.ConfigurationChanged -= OnConfigurationChanged;
        _connection.ConfigurationChangedBroadcast -= OnConfigurationChanged;
    }
}
