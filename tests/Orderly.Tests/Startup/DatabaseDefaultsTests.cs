using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orderly.Grains.Storage;
using Orderly.Silo.Database;

namespace Orderly.Tests.Startup;

/// <summary>Orderly's Npgsql defaults apply only where the connection string is silent.</summary>
public sealed class DatabaseDefaultsTests
{
    [Fact]
    public void A_silent_connection_string_gets_the_capped_pool_and_the_tuned_defaults()
    {
        var cs = NpgsqlDefaults.Tuned("Host=127.0.0.1;Username=u;Password=p").ConnectionStringBuilder;
        Assert.Equal(NpgsqlDefaults.DefaultMaxPoolSize, cs.MaxPoolSize);
        Assert.True(cs.NoResetOnClose);
        Assert.Equal(64, cs.MaxAutoPrepare);
        Assert.Equal(2, cs.AutoPrepareMinUsages);
    }

    [Theory]
    [InlineData("Maximum Pool Size=50", 50)]
    [InlineData("MaxPoolSize=7", 7)]
    [InlineData("maxpoolsize=120", 120)]
    public void A_pool_size_the_operator_gave_is_kept(string setting, int expected)
    {
        var cs = NpgsqlDefaults.Tuned($"Host=127.0.0.1;{setting}").ConnectionStringBuilder;
        Assert.Equal(expected, cs.MaxPoolSize);
    }

    [Fact]
    public void Settings_the_operator_gave_are_kept()
    {
        var cs = NpgsqlDefaults.Tuned("Host=h;No Reset On Close=false;Max Auto Prepare=0").ConnectionStringBuilder;
        Assert.False(cs.NoResetOnClose);
        Assert.Equal(0, cs.MaxAutoPrepare);
    }

    [Fact]
    public void Pooled_connections_have_a_bounded_lifetime_unless_the_operator_says_otherwise()
    {
        Assert.Equal(300, NpgsqlDefaults.Tuned("Host=h").ConnectionStringBuilder.ConnectionLifetime);
        Assert.Equal(60, NpgsqlDefaults.Tuned("Host=h;Connection Lifetime=60").ConnectionStringBuilder.ConnectionLifetime);
        Assert.Equal(0, NpgsqlDefaults.Tuned("Host=h", connectionLifetimeSeconds: 0).ConnectionStringBuilder.ConnectionLifetime);
    }

    [Fact]
    public void The_Aurora_shape_of_k8s_config_the_cluster_endpoint_then_the_instances_picking_the_writer_builds_a_multi_host_data_source()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Orderly"] = "Host=cluster.example,one.example,two.example;Target Session Attributes=read-write;Host Recheck Seconds=1;Username=u;Password=p;Database=orderly",
        });
        builder.AddOrderlyDatabase();
        using var host = builder.Build();
        var db = host.Services.GetRequiredService<NpgsqlDataSource>();
        Assert.IsType<NpgsqlMultiHostDataSource>(db);
    }
}
