/** Shared formats. */
package io.pikemix.format;
