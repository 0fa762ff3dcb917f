using Lock.Actors.Redis;
using Lock.Actors.Tests.Infrastructure.Unit;

namespace Lock.Actors.Tests.Contract;

[Trait("Category", "Unit")]
public sealed class InMemoryLockStoreContractSpec : LockStoreContract
{
    internal override ILockStore Store { get; } = new InMemoryLockStore();
}
