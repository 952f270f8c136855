package io.pikemix.service;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The service's one ObjectMapper and strict readers for request fields: a missing, mistyped or non-finite value
 * is a 400/422 naming the field. Doubles are written in Java's shortest round-trip form, so a value read back
 * from the event log is bit-identical.
 */
final class Json {
    private Json() {}

    static final ObjectMapper MAPPER = new ObjectMapper()
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    /** One JSON object written by {@code body} (between the braces). */
    static byte[] object(Body body) {
        var out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
            g.writeStartObject();
            body.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    static JsonNode parse(byte[] body) {
        try {
            JsonNode n = MAPPER.readTree(body);
            if (n == null || n.isMissingNode())
                throw ApiException.badRequest("the body is empty; expected one JSON object");
            return n;
        } catch (IOException e) {
            String m = e.getMessage() == null
                    ? e.toString()
                    : e.getMessage().lines().findFirst().orElse("");
            int cut = m.indexOf(" at [Source:");
            throw ApiException.badRequest("the body is not valid JSON: " + (cut < 0 ? m : m.substring(0, cut)));
        }
    }

    static void array(JsonGenerator g, String field, double[] values) throws IOException {
        g.writeFieldName(field);
        g.writeArray(values, 0, values.length);
    }

    static long longField(JsonNode n, String field, boolean required, long fallback) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) throw ApiException.badRequest("missing field '" + field + "'");
            return fallback;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong())
            throw ApiException.badRequest("'" + field + "' must be an integer, got " + v);
        return v.longValue();
    }

    /** A numeric array of exactly {@code length} entries (null when absent and not required). */
    static double[] doubles(JsonNode n, String field, int length, boolean required) {
        JsonNode a = array(n, field, length, required);
        if (a == null) return null;
        var out = new double[length];
        for (int k = 0; k < length; k++) {
            if (!a.get(k).isNumber())
                throw ApiException.badRequest(field + "[" + k + "] is " + a.get(k) + ", not a number");
            out[k] = a.get(k).doubleValue();
            if (!Double.isFinite(out[k]))
                throw ApiException.invalid(field + "[" + k + "] = " + a.get(k) + " is not finite");
        }
        return out;
    }

    static long[] longs(JsonNode n, String field, int length, boolean required) {
        JsonNode a = array(n, field, length, required);
        if (a == null) return null;
        var out = new long[length];
        for (int k = 0; k < length; k++) {
            if (!a.get(k).isIntegralNumber() || !a.get(k).canConvertToLong())
                throw ApiException.badRequest(field + "[" + k + "] is " + a.get(k) + ", not an integer");
            out[k] = a.get(k).longValue();
        }
        return out;
    }

    private static JsonNode array(JsonNode n, String field, int length, boolean required) {
        JsonNode a = n.get(field);
        if (a == null || a.isNull()) {
            if (required) throw ApiException.badRequest("missing array '" + field + "'");
            return null;
        }
        if (!a.isArray()) throw ApiException.badRequest("'" + field + "' must be an array, got " + a.getNodeType());
        if (a.size() != length)
            throw ApiException.invalid(
                    "'" + field + "' has " + a.size() + " entries but the dataset has " + length + " domains");
        return a;
    }
}
