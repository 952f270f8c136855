package io.pikemix.etl;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/** Column names and schemas of the ETL's Datasets (STYLE.md §3). The shard schema is {@link #SHARD}. */
public final class Schemas {
    private Schemas() {}

    public static final String DOMAIN = "domain";
    public static final String SPLIT = "split";
    public static final String SEQ_ID = "seq_id";
    public static final String TOKENS = "tokens";

    /** What a shard file holds: {@code seq_id: long, tokens: array<int>} (no nulls). */
    public static final StructType SHARD = new StructType(new StructField[]{
            DataTypes.createStructField(SEQ_ID, DataTypes.LongType, false),
            DataTypes.createStructField(TOKENS, DataTypes.createArrayType(DataTypes.IntegerType, false), false)});

    /** Rows as the pack step emits them; domain and split become the directory layout. */
    public static final StructType PACKED = new StructType(new StructField[]{
            DataTypes.createStructField(DOMAIN, DataTypes.StringType, false),
            DataTypes.createStructField(SPLIT, DataTypes.StringType, false),
            DataTypes.createStructField(SEQ_ID, DataTypes.LongType, false),
            DataTypes.createStructField(TOKENS, DataTypes.createArrayType(DataTypes.IntegerType, false), false)});
}
