/** evaluation */ package io.pikemix.evaluation;
