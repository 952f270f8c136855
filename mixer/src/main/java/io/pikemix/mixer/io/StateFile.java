package io.pikemix.mixer.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.format.UserException;
import io.pikemix.mixer.MixerState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The resumable mixer state as one JSON object, written atomically (temporary file, then rename):
 *
 * <pre>{"seed":1337,"step":4000,"weights":[...],"carry":[...],"epochs":[0,2,0],"positions":[81920,77,4096]}</pre>
 *
 * Doubles are written with Java's shortest round-trip representation, so a read state is bit-identical.
 */
public final class StateFile {
    private StateFile() {}

    public static void write(Path file, MixerState state) {
        try {
            var node = Json.MAPPER.createObjectNode();
            node.put("seed", state.seed());
            node.put("step", state.step());
            node.set("weights", Json.MAPPER.valueToTree(state.weights()));
            node.set("carry", Json.MAPPER.valueToTree(state.carry()));
            node.set("epochs", Json.MAPPER.valueToTree(state.epochs()));
            node.set("positions", Json.MAPPER.valueToTree(state.positions()));
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Json.MAPPER.writeValue(tmp.toFile(), node);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static MixerState read(Path file) {
        try {
            JsonNode n = Json.MAPPER.readTree(file.toFile());
            for (String f : new String[] {"seed", "step", "weights", "carry", "epochs", "positions"})
                if (n == null || !n.has(f))
                    throw new UserException("mixer state " + file + " has no field '" + f + "'");
            return new MixerState(
                    n.get("seed").asLong(),
                    n.get("step").asLong(),
                    Json.MAPPER.treeToValue(n.get("weights"), double[].class),
                    Json.MAPPER.treeToValue(n.get("carry"), double[].class),
                    Json.MAPPER.treeToValue(n.get("epochs"), long[].class),
                    Json.MAPPER.treeToValue(n.get("positions"), long[].class));
        } catch (JacksonException e) {
            throw new UserException("mixer state " + file + " is not valid: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
