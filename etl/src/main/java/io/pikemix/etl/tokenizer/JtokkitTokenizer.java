package io.pikemix.etl.tokenizer;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingRegistry;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import io.pikemix.format.UserException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * OpenAI's published tiktoken vocabularies through jtokkit. The ids of {@code <|endoftext|>} and the
 * vocabulary sizes (largest special id + 1) are tiktoken's ({@code tiktoken_ext/openai_public.py}).
 */
final class JtokkitTokenizer implements Tokenizer {
    /** name → {eos id, vocab size including special tokens}. */
    private static final Map<String, int[]> KNOWN = Map.of(
            "r50k_base", new int[] {50256, 50257},
            "p50k_base", new int[] {50256, 50281},
            "cl100k_base", new int[] {100257, 100277},
            "o200k_base", new int[] {199999, 200019});

    private static final EncodingRegistry REGISTRY = Encodings.newLazyEncodingRegistry();

    private final String name;
    private final Encoding encoding;
    private final int eosId;
    private final int vocabSize;

    private JtokkitTokenizer(String name, Encoding encoding, int eosId, int vocabSize) {
        this.name = name;
        this.encoding = encoding;
        this.eosId = eosId;
        this.vocabSize = vocabSize;
    }

    static boolean isKnown(String name) {
        return KNOWN.containsKey(name);
    }

    /** The tokenizer for a tiktoken encoding name such as {@code cl100k_base}. */
    static JtokkitTokenizer of(String name) {
        int[] ids = KNOWN.get(name);
        EncodingType type = EncodingType.fromName(name).orElse(null);
        if (ids == null || type == null)
            throw new UserException("unknown tokenizer encoding '" + name + "'; use one of "
                    + KNOWN.keySet().stream().sorted().toList() + " or a path to a HuggingFace tokenizer.json");
        return new JtokkitTokenizer(name, REGISTRY.getEncoding(type), ids[0], ids[1]);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String contentHash() {
        return Tokenizers.sha256(name.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    @Override
    public int[] encode(String text) {
        return encoding.encodeOrdinary(text).toArray();
    }

    @Override
    public String decode(int[] ids) {
        var list = new IntArrayList(ids.length);
        for (int id : ids) {
            if (id < 0 || id >= vocabSize)
                throw new IllegalArgumentException("token id " + id + " is outside [0, " + vocabSize + ") of " + name);
            list.add(id);
        }
        return encoding.decode(list);
    }
}
