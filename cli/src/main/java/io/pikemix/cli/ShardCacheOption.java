package io.pikemix.cli;

import io.pikemix.format.Checks;
import io.pikemix.format.ShardStore;
import picocli.CommandLine.Option;

/** {@code --shard-cache-mb}: the bound on decoded shards a {@link ShardStore} keeps in memory (a mixin of train, eval, mixer serve). */
public final class ShardCacheOption {
    @Option(
            names = "--shard-cache-mb",
            paramLabel = "MB",
            defaultValue = "" + ShardStore.DEFAULT_CACHE_MB,
            description =
                    "Memory for decoded shard tokens, least recently used shards evicted first (default ${DEFAULT-VALUE}; per worker with --workers).")
    long shardCacheMb;

    long bytes() {
        Checks.require(
                shardCacheMb > 0 && shardCacheMb < 1L << 40, "--shard-cache-mb must be > 0, got %d", shardCacheMb);
        return shardCacheMb << 20;
    }
}
