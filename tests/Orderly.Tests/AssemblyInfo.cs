// Real processes, fixed ports and one Postgres on a 2-core machine: run collections one at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
