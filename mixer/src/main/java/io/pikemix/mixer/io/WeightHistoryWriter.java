package io.pikemix.mixer.io;

import com.fasterxml.jackson.core.JsonGenerator;
import io.pikemix.mixer.DomainStats;
import io.pikemix.mixer.WeightChange;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Appends one JSON line per weight change to {@code weights.jsonl}, flushed at once (changes are rare):
 *
 * <pre>{"step":0,"strategy":"pike","cause":"initial","weights":[0.333,0.333,0.333]}
 * {"step":1001,"strategy":"pike","cause":"statistics","weights":[...],
 *  "stats":{"grad_norm_sq":[...],"grad_var":[...],"loss":[...]}}</pre>
 *
 * {@code step} is the first step the weights compose; {@code cause} is initial, statistics or pin; {@code loss}
 * appears only when reported.
 */
public final class WeightHistoryWriter implements Closeable {
    private final BufferedWriter out;
    private final JsonGenerator gen;

    public WeightHistoryWriter(Path file) {
        try {
            out = Files.newBufferedWriter(
                    file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            gen = Json.MAPPER.getFactory().createGenerator(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void write(WeightChange change) {
        try {
            gen.writeStartObject();
            gen.writeNumberField("step", change.step());
            gen.writeStringField("strategy", change.strategy());
            gen.writeStringField("cause", change.cause());
            Json.array(gen, "weights", change.weights());
            DomainStats s = change.stats();
            if (s != null) {
                gen.writeObjectFieldStart("stats");
                Json.array(gen, "grad_norm_sq", s.gradNormSq());
                Json.array(gen, "grad_var", s.gradVar());
                if (s.loss() != null) Json.array(gen, "loss", s.loss());
                gen.writeEndObject();
            }
            gen.writeEndObject();
            gen.flush();
            out.write('\n');
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
