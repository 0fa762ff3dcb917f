using Microsoft.Extensions.Logging;

namespace Lock.Host;

/// <summary>What every node of one host command shares: the Redis, the key prefix, the console log level.</summary>
internal sealed record NodeSettings(RedisEndpoint Redis, string? KeyPrefix, LogLevel LogLevel);
