package io.pikemix.format;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The columns of a shard file and the codec of its {@code tokens} value ({@link DatasetInfo#SHARD_SCHEMA}):
 * {@code seq_id: int64, tokens: binary}, no nulls. Format 2 (written by the ETL): {@code tokens} is the row's
 * token ids as little-endian int32 ({@link #packTokens}), one byte array per row — a {@code list<int32>} costs a
 * repetition level, statistics and a boxed conversion per token. Format 1 ({@code tokens: list<int32>}) is still
 * read ({@link ShardReader}). The ETL's Spark {@code StructType}s are built from these names.
 */
public final class ShardSchema {
    private ShardSchema() {}

    public static final String SEQ_ID = "seq_id";
    public static final String TOKENS = "tokens";

    /** Token ids as the {@code tokens} column stores them: little-endian int32, 4 bytes each. */
    public static byte[] packTokens(int[] tokens) {
        var b = ByteBuffer.allocate(4 * tokens.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(tokens);
        return b.array();
    }

    /** The inverse of {@link #packTokens}: {@code length} bytes from {@code offset}, a whole number of int32. */
    public static int[] unpackTokens(byte[] bytes, int offset, int length) {
        var out = new int[checkedCount(length)];
        unpackTokens(bytes, offset, length, out, 0);
        return out;
    }

    /** Decodes {@code length} bytes from {@code offset} into {@code out} at {@code outOffset} (no allocation). */
    public static void unpackTokens(byte[] bytes, int offset, int length, int[] out, int outOffset) {
        ByteBuffer.wrap(bytes, offset, length)
                .order(ByteOrder.LITTLE_ENDIAN)
                .asIntBuffer()
                .get(out, outOffset, checkedCount(length));
    }

    private static int checkedCount(int length) {
        if (length % 4 != 0)
            throw new IllegalArgumentException("a tokens value of " + length + " bytes is not a whole number of int32");
        return length / 4;
    }
}
