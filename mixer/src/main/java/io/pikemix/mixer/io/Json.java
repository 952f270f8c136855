package io.pikemix.mixer.io;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/** The one ObjectMapper of the mixer's files and small helpers for array fields. */
final class Json {
    private Json() {}

    static final ObjectMapper MAPPER = new ObjectMapper().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);

    static void array(JsonGenerator g, String field, double[] values) throws IOException {
        g.writeFieldName(field);
        g.writeArray(values, 0, values.length);
    }

    static void array(JsonGenerator g, String field, long[] values) throws IOException {
        g.writeFieldName(field);
        g.writeArray(values, 0, values.length);
    }

    static void array(JsonGenerator g, String field, int[] values) throws IOException {
        g.writeFieldName(field);
        g.writeArray(values, 0, values.length);
    }
}
