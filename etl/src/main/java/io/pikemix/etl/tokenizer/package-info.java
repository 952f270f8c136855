/**
 * Tokenizers for the ETL: OpenAI's published vocabularies through jtokkit ({@code cl100k_base},
 * {@code o200k_base}) and a byte-level BPE (GPT-2 / HuggingFace {@code ByteLevel} + {@code BPE})
 * trained with Spark ({@link io.pikemix.etl.tokenizer.BpeTrainer}) and stored as a HuggingFace
 * {@code tokenizer.json} ({@link io.pikemix.etl.tokenizer.HfTokenizerJson}). Executors obtain instances
 * through {@link io.pikemix.etl.tokenizer.Tokenizers}, cached once per JVM.
 */
package io.pikemix.etl.tokenizer;
