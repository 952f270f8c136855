package io.pikemix.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pikemix.format.UserException;
import io.pikemix.mixer.DomainRows;
import io.pikemix.mixer.MixConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;

/**
 * {@code STATE/service.json}: what the event log was recorded against (domains and their shard row counts, batch
 * size, seed, rounding, T, strategy, its initial weights and settings, workers). Written on the first start; a
 * later start with anything different is refused, because replaying the log on another configuration would not
 * reproduce the manifests already handed out.
 */
final class Fingerprint {
    static final String FILE = "service.json";

    private Fingerprint() {}

    static ObjectNode of(ServiceConfig c) {
        MixConfig m = c.mix();
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("format_version", 1);
        var domains = n.putArray("domains");
        for (DomainRows d : m.domains()) {
            var o = domains.addObject();
            o.put("name", d.name());
            var rows = o.putArray("shard_rows");
            for (long r : d.shardRowCounts()) rows.add(r);
        }
        n.put("batch_size", m.batchSize());
        n.put("seed", m.seed());
        n.put("rounding", m.rounding().name());
        n.put("update_interval", m.updateInterval());
        n.put("strategy", c.strategy().name());
        var w = n.putArray("initial_weights");
        for (double x : c.strategy().initialWeights()) w.add(x);
        n.put("strategy_settings", c.strategySettings());
        n.put("workers", c.workers());
        return n;
    }

    static void check(ServiceConfig c) {
        JsonNode want;
        try {
            want = Json.MAPPER.readTree(of(c).toString()); // numbers as read back, so int and long compare equal
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path file = c.stateDir().resolve(FILE);
        try {
            Files.createDirectories(c.stateDir());
            if (!Files.exists(file)) {
                Path tmp = file.resolveSibling(FILE + ".tmp");
                Files.write(tmp, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(want));
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return;
            }
            JsonNode have = Json.MAPPER.readTree(file.toFile());
            var differ = new ArrayList<String>();
            want.fieldNames().forEachRemaining(f -> {
                if (!want.get(f).equals(have.get(f)))
                    differ.add(f + " (state: " + have.get(f) + ", now: " + want.get(f) + ")");
            });
            if (!differ.isEmpty())
                throw new UserException("state directory " + c.stateDir() + " belongs to a run with other settings: "
                        + String.join("; ", differ) + ". Use the original options, or a new --state for a new run");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
