package io.pikemix.mixer;

import io.pikemix.format.Checks;
import java.util.HashSet;
import java.util.List;

/**
 * Everything the mixer needs to hand out manifests, validated at construction.
 *
 * @param domains        per-domain shard row counts (order = domain index everywhere)
 * @param batchSize      b, rows per step (global, before the split among workers)
 * @param seed           seeds every permutation and every Random draw
 * @param rounding       {@link Rounding#CARRY} (default) or the paper's per-step rounding
 * @param updateInterval T of Algorithms 1 and 3: statistics are wanted at steps with t mod T = 0
 *                       (Table 7: {@value #DEFAULT_UPDATE_INTERVAL})
 */
public record MixConfig(List<DomainRows> domains, int batchSize, long seed, Rounding rounding, int updateInterval) {
    public static final int DEFAULT_UPDATE_INTERVAL = 1000;

    public MixConfig {
        Checks.require(domains != null && !domains.isEmpty(), "the mix needs at least one domain");
        domains = List.copyOf(domains);
        var names = new HashSet<String>();
        for (DomainRows d : domains) Checks.require(names.add(d.name()), "domain '%s' is listed twice", d.name());
        Checks.require(batchSize > 0, "--batch must be > 0, got %d", batchSize);
        Checks.require(rounding != null, "rounding is required");
        Checks.require(updateInterval > 0, "--update-interval must be > 0, got %d", updateInterval);
    }

    public int domainCount() {
        return domains.size();
    }

    /** Row counts per domain. */
    public long[] sequences() {
        return domains.stream().mapToLong(DomainRows::sequences).toArray();
    }

    public List<String> names() {
        return domains.stream().map(DomainRows::name).toList();
    }
}
