"""Languages the Speechmatics engines transcribe, by code, with their English names."""

from __future__ import annotations

LANGUAGES: dict[str, str] = {
    "ar": "Arabic", "ba": "Bashkir", "eu": "Basque", "be": "Belarusian",
    "bn": "Bengali", "bg": "Bulgarian", "yue": "Cantonese", "ca": "Catalan", "hr": "Croatian",
    "cs": "Czech", "da": "Danish", "nl": "Dutch", "en": "English", "eo": "Esperanto", "et": "Estonian",
    "fi": "Finnish", "fr": "French", "gl": "Galician", "de": "German", "el": "Greek", "he": "Hebrew",
    "hi": "Hindi", "hu": "Hungarian", "id": "Indonesian", "ia": "Interlingua", "ga": "Irish",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "lv": "Latvian", "lt": "Lithuanian",
    "ms": "Malay", "mt": "Maltese", "cmn": "Mandarin", "mr": "Marathi", "mn": "Mongolian",
    "no": "Norwegian", "fa": "Persian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian",
    "ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "es": "Spanish", "sw": "Swahili",
    "sv": "Swedish", "ta": "Tamil", "th": "Thai", "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu",
    "ug": "Uyghur", "vi": "Vietnamese", "cy": "Welsh",
}


def language_name(code: str) -> str:
    return LANGUAGES.get(code, code)
