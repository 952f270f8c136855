package io.pikemix.mixer.io;

import com.fasterxml.jackson.core.JsonGenerator;
import io.pikemix.mixer.StepManifest;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends one JSON line per step to {@code manifest.jsonl}:
 *
 * <pre>{"step":12,"weights":[0.5,0.3,0.2],"counts":[128,77,51],"epochs":[0,0,1],"rows":[[0,3,1021],[0,0,17],...]}</pre>
 *
 * {@code rows} lists the step's rows in batch order as [domain index, shard number, row inside the shard]
 * (shard {@code OUT/<domain>/train/part-<shard, 5 digits>.parquet}); {@code epochs} are the domains'
 * epochs after the step (0 = first pass). Appending lets a resumed run continue the same file.
 */
public final class ManifestWriter implements Closeable {
    private final BufferedWriter out;
    private final JsonGenerator gen;

    public ManifestWriter(Path file) {
        try {
            out = Files.newBufferedWriter(
                    file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            gen = Json.MAPPER.getFactory().createGenerator(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void write(StepManifest m) {
        try {
            gen.writeStartObject();
            gen.writeNumberField("step", m.step());
            Json.array(gen, "weights", m.weights());
            Json.array(gen, "counts", m.counts());
            Json.array(gen, "epochs", m.epochs());
            gen.writeArrayFieldStart("rows");
            for (int j = 0; j < m.size(); j++) {
                gen.writeStartArray();
                gen.writeNumber(m.domain()[j]);
                gen.writeNumber(m.shard()[j]);
                gen.writeNumber(m.shardRow()[j]);
                gen.writeEndArray();
            }
            gen.writeEndArray();
            gen.writeEndObject();
            gen.flush();
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            gen.close();
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
