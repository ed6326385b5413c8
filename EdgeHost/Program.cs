// The EdgeHost worker (issue 6) grows here; until then it prints what it is.
Console.WriteLine("edgehost: EdgeLoss embedding comparison worker (under construction)");
return 0;
