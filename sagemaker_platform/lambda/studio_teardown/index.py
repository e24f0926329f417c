"""placeholder while developing"""
