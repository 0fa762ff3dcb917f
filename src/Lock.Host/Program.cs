using Lock.Host;

return await LockHostCli.RunAsync(args, Console.Out, Console.Error);
