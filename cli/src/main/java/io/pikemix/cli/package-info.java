/** cli */
package io.pikemix.cli;
