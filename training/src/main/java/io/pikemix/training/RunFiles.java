package io.pikemix.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;

/** JSON-lines files of a run directory (one object per line, flushed per line) and their truncation on resume. */
public final class RunFiles {
    private RunFiles() {}

    public static final String CONFIG = "config.json",
            METRICS = "metrics.jsonl",
            VAL = "val.jsonl",
            STATS = "stats.jsonl",
            WEIGHTS = "weights.jsonl",
            MANIFEST = "manifest.jsonl";

    public static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final ObjectMapper LINE = new ObjectMapper();

    /** Appends JSON lines. */
    public static final class Lines implements Closeable {
        private final BufferedWriter out;

        public Lines(Path file) {
            try {
                out = Files.newBufferedWriter(
                        file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        public void write(Map<String, ?> record) {
            try {
                out.write(LINE.writeValueAsString(record));
                out.write('\n');
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** Every line of a JSON-lines file as a tree (empty when the file does not exist). */
    public static List<JsonNode> read(Path file) {
        if (!Files.exists(file)) return List.of();
        try {
            var out = new ArrayList<JsonNode>();
            for (String line : Files.readAllLines(file)) if (!line.isBlank()) out.add(LINE.readTree(line));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Keeps the lines whose "step" satisfies {@code keep} (resume: drop what the checkpoint does not cover). */
    public static void truncate(Path file, LongPredicate keep) {
        if (!Files.exists(file)) return;
        try {
            var kept = new ArrayList<String>();
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.isBlank()) continue;
                JsonNode node;
                try {
                    node = LINE.readTree(line);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    // a process killed mid-line (a line longer than the writer's buffer is written in pieces)
                    // leaves the last line torn; its step comes after the checkpoint anyway
                    if (i == lines.size() - 1) continue;
                    throw new UncheckedIOException(file + " line " + (i + 1) + " is damaged", e);
                }
                if (keep.test(node.get("step").asLong())) kept.add(line);
            }
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.write(tmp, kept);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
