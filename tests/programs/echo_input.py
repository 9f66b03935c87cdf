"""Prints the first line of standard input."""

print(input())
