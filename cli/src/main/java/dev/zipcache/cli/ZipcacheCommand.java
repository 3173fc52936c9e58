package dev.zipcache.cli; public class ZipcacheCommand {}
