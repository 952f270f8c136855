package io.pikemix.mixer.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonNode;
import io.pikemix.format.UserException;
import io.pikemix.mixer.DomainStats;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The statistics file of {@code pike weights}: one JSON object with per-domain arrays of numbers,
 *
 * <pre>{"grad_norm_sq":[1.2,0.8,0.5],"grad_var":[300,150,900],"loss":[3.1,2.7,4.0]}</pre>
 *
 * {@code grad_norm_sq} (‖∇L_k‖²) and {@code grad_var} (per-sequence σ_k²) are required, {@code loss} (L_k) only
 * for fair-pike; other fields are ignored. Every problem is reported as one line naming the file and field.
 */
public final class StatsFile {
    private StatsFile() {}

    public static DomainStats read(Path file) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(Files.readString(file));
        } catch (NoSuchFileException e) {
            throw new UserException("no such statistics file: " + file);
        } catch (JacksonException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw new UserException("statistics file " + file + " is not valid JSON" + where + ": "
                    + firstClause(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (root == null || !root.isObject())
            throw new UserException("statistics file " + file
                    + " must hold one JSON object with arrays grad_norm_sq, grad_var (and loss)");
        double[] normSq = numbers(file, root, "grad_norm_sq", true);
        double[] var = numbers(file, root, "grad_var", true);
        double[] loss = numbers(file, root, "loss", false);
        if (normSq.length != var.length || (loss != null && loss.length != normSq.length))
            throw new UserException(String.format(
                    "statistics file %s: grad_norm_sq has %d entries, grad_var %d%s; they must match",
                    file, normSq.length, var.length, loss == null ? "" : ", loss " + loss.length));
        return new DomainStats(normSq, var, loss);
    }

    /** Jackson's message up to its echo of the input (which may span lines): one readable line. */
    static String firstClause(String message) {
        String m = message.lines().findFirst().orElse("");
        int cut = m.indexOf(" (start marker at");
        if (cut < 0) cut = m.indexOf(" at [Source:");
        return cut < 0 ? m : m.substring(0, cut);
    }

    private static double[] numbers(Path file, JsonNode root, String field, boolean required) {
        JsonNode a = root.get(field);
        if (a == null || a.isNull()) {
            if (required) throw new UserException("statistics file " + file + " has no array '" + field + "'");
            return null;
        }
        if (!a.isArray() || a.isEmpty())
            throw new UserException(
                    "statistics file " + file + ": '" + field + "' must be a non-empty array of numbers");
        var out = new double[a.size()];
        for (int k = 0; k < out.length; k++) {
            if (!a.get(k).isNumber())
                throw new UserException(
                        "statistics file " + file + ": " + field + "[" + k + "] is " + a.get(k) + ", not a number");
            out[k] = a.get(k).doubleValue();
        }
        return out;
    }

    /** {@code {"weights":[...]}}, the output of {@code pike weights}. */
    public static String weightsJson(double[] weights) {
        var node = Json.MAPPER.createObjectNode();
        node.set("weights", Json.MAPPER.valueToTree(weights));
        return node.toString();
    }
}
