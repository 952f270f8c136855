package io.pikemix.etl.tokenizer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pikemix.format.UserException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes HuggingFace {@code tokenizer.json} files (the format of the {@code tokenizers}
 * library, {@code tokenizer/serialization.rs}) for byte-level BPE: model {@code BPE} with {@code vocab}
 * (token → id) and {@code merges} ("left right" in rank order), pre-tokenizer and decoder
 * {@code ByteLevel}, no normalizer, and {@code <|endoftext|>} as a special added token.
 *
 * <p>{@link #toBytes} is canonical (fixed key order, compact, ids ascending), so equal tokenizers give
 * equal bytes and {@link BpeTokenizer#contentHash} is the SHA-256 of those bytes.
 */
public final class HfTokenizerJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private HfTokenizerJson() {}

    /** Writes {@code tokenizer} to {@code file} in tokenizer.json format. */
    public static void write(BpeTokenizer tokenizer, Path file) throws IOException {
        Files.write(file, toBytes(tokenizer));
    }

    /** Reads a byte-level BPE tokenizer.json file. */
    public static BpeTokenizer read(Path file) throws IOException {
        return read(Files.readAllBytes(file));
    }

    /** The canonical tokenizer.json bytes of {@code tokenizer}. */
    public static byte[] toBytes(BpeTokenizer tokenizer) {
        var out = new ByteArrayOutputStream(1 << 16);
        try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("version", "1.0");
            g.writeNullField("truncation");
            g.writeNullField("padding");
            g.writeArrayFieldStart("added_tokens");
            for (var special : tokenizer.specials().entrySet()) {
                g.writeStartObject();
                g.writeNumberField("id", special.getKey());
                g.writeStringField("content", special.getValue());
                g.writeBooleanField("single_word", false);
                g.writeBooleanField("lstrip", false);
                g.writeBooleanField("rstrip", false);
                g.writeBooleanField("normalized", false);
                g.writeBooleanField("special", true);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeNullField("normalizer");
            writeByteLevel(g, "pre_tokenizer");
            g.writeNullField("post_processor");
            writeByteLevel(g, "decoder");
            writeModel(g, tokenizer);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }

    private static void writeByteLevel(JsonGenerator g, String field) throws IOException {
        g.writeObjectFieldStart(field);
        g.writeStringField("type", "ByteLevel");
        g.writeBooleanField("add_prefix_space", false);
        g.writeBooleanField("trim_offsets", true);
        g.writeBooleanField("use_regex", true);
        g.writeEndObject();
    }

    private static void writeModel(JsonGenerator g, BpeTokenizer tokenizer) throws IOException {
        g.writeObjectFieldStart("model");
        g.writeStringField("type", "BPE");
        g.writeNullField("dropout");
        g.writeNullField("unk_token");
        g.writeNullField("continuing_subword_prefix");
        g.writeNullField("end_of_word_suffix");
        g.writeBooleanField("fuse_unk", false);
        g.writeBooleanField("byte_fallback", false);
        g.writeObjectFieldStart("vocab");
        String[] symbols = symbols(tokenizer);
        var written = new HashMap<String, Integer>();
        for (int id = 0; id < symbols.length; id++) {
            if (symbols[id] == null || written.putIfAbsent(symbols[id], id) != null) continue;
            g.writeNumberField(symbols[id], id);
        }
        g.writeEndObject();
        g.writeArrayFieldStart("merges");
        for (int[] m : tokenizer.merges()) g.writeString(symbols[m[0]] + " " + symbols[m[1]]);
        g.writeEndArray();
        g.writeEndObject();
    }

    /** The tokenizer.json string of every id: byte-level symbols, or a special token's text. */
    private static String[] symbols(BpeTokenizer tokenizer) {
        var symbols = new String[tokenizer.vocabSize()];
        for (int id = 0; id < symbols.length; id++) {
            String special = tokenizer.specials().get(id);
            if (special != null) symbols[id] = special;
            else if (tokenizer.hasToken(id)) symbols[id] = ByteLevel.toSymbols(tokenizer.tokenBytes(id));
        }
        return symbols;
    }

    /** Parses tokenizer.json bytes; a file that is not byte-level BPE is a {@link UserException} naming what differs. */
    public static BpeTokenizer read(byte[] json) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UserException("tokenizer.json is not valid JSON: " + e.getMessage(), e);
        }
        JsonNode model = root.path("model");
        checkSupported(root, model);
        Map<String, Integer> vocab = readVocab(model.path("vocab"));
        var specials = new LinkedHashMap<Integer, String>();
        for (JsonNode t : root.path("added_tokens"))
            specials.put(t.path("id").asInt(), t.path("content").asText());
        int maxId = Math.max(
                vocab.values().stream().mapToInt(i -> i).max().orElse(-1),
                specials.keySet().stream().mapToInt(i -> i).max().orElse(-1));
        var tokenBytes = new byte[maxId + 1][];
        for (var e : vocab.entrySet()) tokenBytes[e.getValue()] = ByteLevel.fromSymbols(e.getKey());
        for (var e : specials.entrySet()) tokenBytes[e.getKey()] = e.getValue().getBytes(StandardCharsets.UTF_8);
        for (var e : vocab.entrySet())
            require(
                    tokenBytes[e.getValue()] != null,
                    "vocab token '" + e.getKey() + "' is not in the byte-level alphabet");

        int[] byteToId = new int[256];
        for (int b = 0; b < 256; b++) {
            Integer id = vocab.get(String.valueOf(ByteLevel.BYTE_TO_CHAR[b]));
            require(id != null, "vocab lacks the token of byte " + b + " ('" + ByteLevel.BYTE_TO_CHAR[b] + "')");
            byteToId[b] = id;
        }
        int eos = specials.entrySet().stream()
                .filter(e -> BpeTokenizer.EOS.equals(e.getValue()))
                .mapToInt(Map.Entry::getKey)
                .findFirst()
                .orElseThrow(() -> new UserException("tokenizer.json has no " + BpeTokenizer.EOS
                        + " in added_tokens; it is the EOS token the packer needs"));
        return new BpeTokenizer(tokenBytes, byteToId, readMerges(model.path("merges"), vocab), specials, eos);
    }

    private static Map<String, Integer> readVocab(JsonNode vocabNode) {
        require(vocabNode.isObject(), "model.vocab is not an object of token → id");
        var vocab = new HashMap<String, Integer>();
        for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
            var e = it.next();
            require(
                    e.getValue().canConvertToInt() && e.getValue().asInt() >= 0,
                    "model.vocab['" + e.getKey() + "'] is not a non-negative id: " + e.getValue());
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        return vocab;
    }

    /** Merges in rank order as {left id, right id, merged id}; accepts "left right" strings and [left, right] pairs. */
    private static int[][] readMerges(JsonNode mergesNode, Map<String, Integer> vocab) {
        var merges = new ArrayList<int[]>();
        for (JsonNode m : mergesNode) {
            String left, right;
            if (m.isArray()) {
                left = m.path(0).asText();
                right = m.path(1).asText();
            } else {
                int space = m.asText().indexOf(' ');
                require(space > 0, "merge '" + m.asText() + "' is not of the form \"left right\"");
                left = m.asText().substring(0, space);
                right = m.asText().substring(space + 1);
            }
            Integer a = vocab.get(left), b = vocab.get(right), ab = vocab.get(left + right);
            require(
                    a != null && b != null && ab != null,
                    "merge '" + left + " " + right + "' names a token missing from vocab");
            merges.add(new int[] {a, b, ab});
        }
        return merges.toArray(int[][]::new);
    }

    /** Only what {@link BpeTokenizer} implements: BPE model, no normalizer, ByteLevel pre-tokenizer. */
    private static void checkSupported(JsonNode root, JsonNode model) {
        require(model.isObject(), "has no \"model\" object");
        require(
                model.path("type").isMissingNode()
                        || "BPE".equals(model.path("type").asText()),
                "model type is '" + model.path("type").asText() + "', only BPE is supported");
        require(
                root.path("normalizer").isNull() || root.path("normalizer").isMissingNode(),
                "has a normalizer (" + root.path("normalizer").path("type").asText()
                        + "); only byte-level BPE without one is supported");
        for (String field : new String[] {"continuing_subword_prefix", "end_of_word_suffix", "dropout"})
            require(
                    model.path(field).isNull()
                            || model.path(field).isMissingNode()
                            || model.path(field).asText().isEmpty(),
                    "model." + field + " is set (" + model.path(field) + "); byte-level BPE has none");
        checkByteLevel(root.path("pre_tokenizer"));
    }

    private static void checkByteLevel(JsonNode pre) {
        require(
                "ByteLevel".equals(pre.path("type").asText()),
                "pre_tokenizer is "
                        + (pre.isMissingNode() || pre.isNull()
                                ? "missing"
                                : "'" + pre.path("type").asText() + "'") + "; only ByteLevel is supported");
        require(
                !pre.path("add_prefix_space").asBoolean(false),
                "pre_tokenizer.add_prefix_space is true; only false is supported");
        require(pre.path("use_regex").asBoolean(true), "pre_tokenizer.use_regex is false; only true is supported");
    }

    private static void require(boolean condition, String problem) {
        if (!condition) throw new UserException("tokenizer.json " + problem);
    }
}
