package io.pikemix.training;

import io.pikemix.format.Checks;
import io.pikemix.format.UserException;
import io.pikemix.mixer.MixerState;
import io.pikemix.mixer.io.StateFile;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Everything needed to continue a run after {@code step} completed steps: the parameters, AdamW's moments and
 * iteration, and the mixer state. On disk, {@code RUN/checkpoints/step-NNNNNNNN/}:
 *
 * <pre>
 *   params.bin    named tensors: "PIKT", int count, then (UTF name, Nd4j.write array) per tensor
 *   adam.bin      the same format: per parameter a [1, 2n] array (m then v)
 *   mixer.json    {@link StateFile}: weights, carries and cursors (the manifests continue identically)
 *   trainer.json  {"step": 400, "adam_iteration": 400}
 * </pre>
 *
 * A checkpoint directory is written under a temporary name and renamed, so a crash never leaves half of one.
 */
public record Checkpoint(
        long step, Map<String, INDArray> params, Map<String, INDArray> adam, long adamIteration, MixerState mixer) {
    static final String DIR = "checkpoints";
    private static final int MAGIC = 0x50494B54; // "PIKT"

    public void write(Path run, int keep) {
        Path root = run.resolve(DIR);
        Path dir = root.resolve(String.format("step-%08d", step));
        Path tmp = root.resolve(dir.getFileName() + ".tmp");
        try {
            Files.createDirectories(tmp);
            writeTensors(tmp.resolve("params.bin"), params);
            writeTensors(tmp.resolve("adam.bin"), adam);
            StateFile.write(tmp.resolve("mixer.json"), mixer);
            Files.writeString(
                    tmp.resolve("trainer.json"),
                    "{\"step\": " + step + ", \"adam_iteration\": " + adamIteration + "}\n");
        } catch (IOException | UncheckedIOException e) {
            // e.g. the disk is full: remove the half-written directory (it only takes space; the checkpoints before
            // it are untouched) and say which complete checkpoint a --resume would start from
            try {
                if (Files.exists(tmp)) deleteTree(tmp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException(new IOException(
                    "could not write checkpoint " + dir + " (" + e.getMessage() + "); the newest complete one is "
                            + latest(run).map(Path::toString).orElse("none"),
                    e));
        }
        try {
            if (Files.exists(dir)) deleteTree(dir);
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
            List<Path> all = list(run);
            for (int i = 0; i < all.size() - keep; i++) deleteTree(all.get(i));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The newest checkpoint of a run, if any. */
    public static Optional<Path> latest(Path run) {
        List<Path> all = list(run);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    public static Checkpoint read(Path dir) {
        try {
            var trainer = io.pikemix.format.DatasetInfo.mapper()
                    .readTree(dir.resolve("trainer.json").toFile());
            return new Checkpoint(
                    trainer.get("step").asLong(),
                    readTensors(dir.resolve("params.bin")),
                    readTensors(dir.resolve("adam.bin")),
                    trainer.get("adam_iteration").asLong(),
                    StateFile.read(dir.resolve("mixer.json")));
        } catch (IOException e) {
            throw new UserException("checkpoint " + dir + " is unreadable: " + e.getMessage(), e);
        }
    }

    /**
     * Refuses a checkpoint whose tensors are not the model's (a run resumed with another shape): names the first
     * tensor that differs and both shapes.
     */
    public void requireShapes(Path dir, GptConfig model) {
        for (GptModel.ParamSpec p : GptModel.specs(model)) {
            INDArray a = params.get(p.name());
            Checks.require(a != null, "checkpoint %s is of another model shape: it has no tensor '%s'", dir, p.name());
            Checks.require(
                    java.util.Arrays.equals(a.shape(), p.shape()),
                    "checkpoint %s is of another model shape: '%s' is %s, this run's model (%s) needs %s",
                    dir,
                    p.name(),
                    java.util.Arrays.toString(a.shape()),
                    model,
                    java.util.Arrays.toString(p.shape()));
        }
        Checks.require(
                params.size() == GptModel.specs(model).size(),
                "checkpoint %s is of another model shape: %d tensors, this run's model has %d",
                dir,
                params.size(),
                GptModel.specs(model).size());
    }

    static void writeTensors(Path file, Map<String, INDArray> tensors) throws IOException {
        try (var out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
            out.writeInt(MAGIC);
            out.writeInt(tensors.size());
            for (var e : tensors.entrySet()) {
                out.writeUTF(e.getKey());
                Nd4j.write(e.getValue(), out);
            }
        }
    }

    static Map<String, INDArray> readTensors(Path file) throws IOException {
        try (var in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            Checks.require(in.readInt() == MAGIC, "%s is not a pike-mix tensor file", file);
            int n = in.readInt();
            var out = new LinkedHashMap<String, INDArray>();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                try {
                    out.put(name, Nd4j.read(in));
                } catch (RuntimeException e) { // ND4J wraps the EOFException of a truncated file
                    throw new IOException(file + ": tensor '" + name + "' is truncated or damaged (" + e + ")", e);
                }
            }
            return out;
        }
    }

    private static List<Path> list(Path run) {
        Path root = run.resolve(DIR);
        if (!Files.isDirectory(root)) return List.of();
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().matches("step-\\d{8}"))
                    .sorted(Comparator.naturalOrder())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }
}
