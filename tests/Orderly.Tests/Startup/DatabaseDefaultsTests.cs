using Orderly.ServiceDefaults.Database;

namespace Orderly.Tests.Startup;

/// <summary>Orderly's Npgsql defaults apply only where the connection string is silent.</summary>
public sealed class DatabaseDefaultsTests
{
    [Fact]
    public void A_silent_connection_string_gets_the_capped_pool_and_the_tuned_defaults()
    {
        var cs = DatabaseServiceCollectionExtensions.Tuned("Host=127.0.0.1;Username=u;Password=p").ConnectionStringBuilder;
        Assert.Equal(DatabaseServiceCollectionExtensions.DefaultMaxPoolSize, cs.MaxPoolSize);
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
        var cs = DatabaseServiceCollectionExtensions.Tuned($"Host=127.0.0.1;{setting}").ConnectionStringBuilder;
        Assert.Equal(expected, cs.MaxPoolSize);
    }

    [Fact]
    public void Settings_the_operator_gave_are_kept()
    {
        var cs = DatabaseServiceCollectionExtensions.Tuned("Host=h;No Reset On Close=false;Max Auto Prepare=0").ConnectionStringBuilder;
        Assert.False(cs.NoResetOnClose);
        Assert.Equal(0, cs.MaxAutoPrepare);
    }
}
