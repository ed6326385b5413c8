// edgehost: the EdgeLoss worker. `edgehost serve ...` runs the service; `edgehost --help` lists the commands.
return await EdgeLoss.EdgeHost.Hosting.EdgeHostCli.InvokeAsync(args);
